import type { DeliveryUpdate } from '../store/deliveries.ts';

/** Every attempt ends in exactly one of these (DESIGN.md, "Delivery outcomes"). */
export type AttemptClass = 'delivered' | 'retry' | 'invalid' | 'rejected' | 'credential' | 'expired';

/** One attempt's result, the same shape for APNs and MPNS. */
export interface AttemptResult {
  class: AttemptClass;
  status: number | null;
  reason: string | null;
  /** For retry: the push service's or client's wait before the next attempt. */
  retryAfterMs?: number;
}

export interface RetryPolicy {
  /** Attempts a row may use before it ends as `failed`. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 12 };

/**
 * The row update for an attempt. `attempts` is how many attempts the row had used before this
 * one. A credential failure leaves the row pending and uncounted: the tenant is paused and
 * nothing is burned. A retry that would fall after the notification's expiration ends it as
 * `expired` now rather than holding it.
 */
export function rowUpdate(id: number, attempts: number, result: AttemptResult, expiresAt: number | null, policy: RetryPolicy, now: number): DeliveryUpdate {
  const base = { id, lastClass: result.class, lastStatus: result.status, lastReason: result.reason };
  switch (result.class) {
    case 'delivered':
    case 'invalid':
    case 'rejected':
    case 'expired':
      return { ...base, state: result.class };
    case 'credential':
      return { ...base, state: 'pending', nextAttemptAt: now, countsAsAttempt: false };
    case 'retry': {
      if (attempts + 1 >= policy.maxAttempts) return { ...base, state: 'failed', lastReason: `${result.reason ?? 'retry'} (gave up after ${attempts + 1} attempts)` };
      const next = now + Math.max(0, result.retryAfterMs ?? 1000);
      if (expiresAt !== null && next > expiresAt) return { ...base, state: 'expired' };
      return { ...base, state: 'pending', nextAttemptAt: next };
    }
  }
}
