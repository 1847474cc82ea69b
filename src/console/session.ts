/** Who is signed in: the API key and what it reaches. */
export interface Session {
  key: string;
  kind: 'operator' | 'tenant';
  /** For tenant keys: the one tenant the key reaches. */
  tenantId: string | null;
  /** For tenant keys: the tenant's name, for the header. */
  tenantName: string | null;
}

// sessionStorage, never localStorage: the key lives only as long as this tab, and a closed tab
// (or Sign out) leaves nothing behind on a shared machine.
const STORAGE_KEY = 'certpush.console.session';

export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Session;
    return typeof parsed.key === 'string' && (parsed.kind === 'operator' || parsed.kind === 'tenant') ? parsed : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
