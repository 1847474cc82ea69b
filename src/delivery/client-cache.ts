/**
 * Clients per credential, built on first use, rebuilt when the credential changes (its
 * fingerprint differs), and closed after sitting idle — thousands of tenants must not mean
 * thousands of open connections.
 */
export interface Closeable {
  close(): unknown;
}

interface Entry<C> {
  client: C;
  fingerprint: string;
  lastUsed: number;
}

export class ClientCache<C extends Closeable> {
  readonly #entries = new Map<string, Entry<C>>();
  readonly #idleMs: number;
  readonly #now: () => number;

  constructor(options: { idleMs: number; now?: () => number }) {
    this.#idleMs = options.idleMs;
    this.#now = options.now ?? Date.now;
  }

  /** The client for `key`, built with `build` when missing or when `fingerprint` changed. */
  get(key: string, fingerprint: string, build: () => C): C {
    const entry = this.#entries.get(key);
    if (entry && entry.fingerprint === fingerprint) {
      entry.lastUsed = this.#now();
      return entry.client;
    }
    if (entry) void entry.client.close();
    const client = build();
    this.#entries.set(key, { client, fingerprint, lastUsed: this.#now() });
    return client;
  }

  /** Drop every client whose key starts with `prefix` (a tenant's credential changed). */
  invalidate(prefix: string): void {
    for (const [key, entry] of this.#entries) {
      if (key.startsWith(prefix)) {
        this.#entries.delete(key);
        void entry.client.close();
      }
    }
  }

  /** Close clients unused for the idle time; returns how many were closed. */
  evictIdle(): number {
    const cutoff = this.#now() - this.#idleMs;
    let closed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.lastUsed < cutoff) {
        this.#entries.delete(key);
        void entry.client.close();
        closed++;
      }
    }
    return closed;
  }

  clients(): C[] {
    return [...this.#entries.values()].map((e) => e.client);
  }

  get size(): number {
    return this.#entries.size;
  }

  async closeAll(): Promise<void> {
    const clients = [...this.#entries.values()].map((e) => e.client);
    this.#entries.clear();
    await Promise.all(clients.map((c) => c.close()));
  }
}
