import { CertpushError } from '../errors.ts';
import { UNAUTHENTICATED_DAILY_LIMIT } from './protocol.ts';

/**
 * Where per-subscription daily counts live. The in-memory store serves one process; a
 * database-backed store lets several processes share the counts. Implementations must make
 * `take` atomic per subscription (a compare-and-increment), or two senders could both take
 * the 500th notification.
 */
export interface QuotaStore {
  /** Count one notification for `subscription` on the UTC `day` unless `limit` is already reached. */
  take(subscription: string, day: string, limit: number): Promise<{ taken: boolean; used: number }>;
  /** Mark the subscription as used up for `day`: MPNS itself answered 406. */
  exhaust(subscription: string, day: string, limit: number): Promise<void>;
}

/** The decision for one unauthenticated notification. */
export interface QuotaDecision {
  allowed: boolean;
  /** Notifications counted for this subscription today, this one included when allowed. */
  used: number;
  limit: number;
  /** The next UTC midnight, when the count starts again. */
  resetsAt: Date;
}

/** The UTC calendar day of `now`, `YYYY-MM-DD`: MPNS's daily limit runs per UTC day. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The first instant of the UTC day after `now`. */
export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** `2025-06-02 00:00 UTC`: how refusal messages name the reset time. */
export function formatUtc(time: Date): string {
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The unauthenticated web service's budget: MPNS allows 500 notifications per subscription
 * (channel URI) per UTC day over HTTP. certpush counts each notification before sending it
 * and refuses locally past the limit, instead of spending a request to be told 406.
 */
export class DailyQuota {
  readonly limit: number;
  readonly #store: QuotaStore;

  constructor(store: QuotaStore, limit: number = UNAUTHENTICATED_DAILY_LIMIT) {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new CertpushError('MPNS_QUOTA_LIMIT', `The daily limit must be a whole number of notifications (MPNS's is ${UNAUTHENTICATED_DAILY_LIMIT}); it is ${limit}.`);
    }
    this.#store = store;
    this.limit = limit;
  }

  /** Count one notification to `subscription` at `now`, or refuse it when today's budget is spent. */
  async take(subscription: string, now: Date): Promise<QuotaDecision> {
    const { taken, used } = await this.#store.take(subscription, utcDay(now), this.limit);
    return { allowed: taken, used, limit: this.limit, resetsAt: nextUtcMidnight(now) };
  }

  /** MPNS answered 406: trust it over our count, and refuse locally until midnight UTC. */
  async exhaust(subscription: string, now: Date): Promise<void> {
    await this.#store.exhaust(subscription, utcDay(now), this.limit);
  }
}
