import crypto from 'node:crypto';

/** A random identifier with a type prefix ("ten_…", "dev_…"): readable in logs, unguessable. */
export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(12).toString('base64url')}`;
}
