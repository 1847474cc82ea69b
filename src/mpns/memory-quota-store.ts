import type { QuotaStore } from './quota.ts';

/**
 * QuotaStore in process memory: counts for the current UTC day only. When the day changes,
 * yesterday's counts are dropped at once, so memory holds one day's subscriptions at most.
 */
export class MemoryQuotaStore implements QuotaStore {
  #day = '';
  readonly #used = new Map<string, number>();

  #forDay(day: string): Map<string, number> {
    // Days only move forward in practice; a request for another day (clock stepped back)
    // starts that day afresh rather than mixing two days' counts.
    if (day !== this.#day) {
      this.#used.clear();
      this.#day = day;
    }
    return this.#used;
  }

  take(subscription: string, day: string, limit: number): Promise<{ taken: boolean; used: number }> {
    const used = this.#forDay(day);
    const count = used.get(subscription) ?? 0;
    if (count >= limit) return Promise.resolve({ taken: false, used: count });
    used.set(subscription, count + 1);
    return Promise.resolve({ taken: true, used: count + 1 });
  }

  exhaust(subscription: string, day: string, limit: number): Promise<void> {
    const used = this.#forDay(day);
    used.set(subscription, Math.max(limit, used.get(subscription) ?? 0));
    return Promise.resolve();
  }
}
