import crypto from 'node:crypto';
import type { QuotaStore } from '../mpns/quota.ts';
import type { QuotaRole } from '../store/roles/quota.ts';

/**
 * The MPNS daily quota kept in the database, so every worker process — and a restarted one —
 * counts against the same 500 per subscription per UTC day.
 */
export class DatabaseQuotaStore implements QuotaStore {
  readonly #store: QuotaRole;

  constructor(store: QuotaRole) {
    this.#store = store;
  }

  take(subscription: string, day: string, limit: number): Promise<{ taken: boolean; used: number }> {
    return this.#store.mpnsQuota.take(key(subscription), day, limit);
  }

  exhaust(subscription: string, day: string, limit: number): Promise<void> {
    return this.#store.mpnsQuota.exhaust(key(subscription), day, limit);
  }
}

function key(subscription: string): string {
  return crypto.createHash('sha256').update(subscription).digest('hex');
}
