import { type BackoffPolicy, backoffDelay } from '../apns/backoff.ts';
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
  /**
   * For invalid: since when the push service has known the token invalid (APNs 410
   * `timestamp`, ms). A device registered again after it has a new lease of life.
   */
  invalidSince?: number;
}

export interface RetryPolicy {
  /**
   * How long a notification without an `expiration` keeps being retried, counted from its
   * creation. One with an `expiration` is retried until then. Default 24 hours.
   */
  windowMs: number;
  /** The row's own backoff between attempts: doubles per attempt from baseMs up to maxMs (with jitter). */
  backoff: BackoffPolicy;
  /** Optional hard cap on attempts; 0 (the default) means the window alone decides. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_WINDOW_MS = 24 * 3600_000;

export const DEFAULT_RETRY_POLICY: RetryPolicy = { windowMs: DEFAULT_RETRY_WINDOW_MS, backoff: { baseMs: 1000, maxMs: 10 * 60_000 }, maxAttempts: 0 };

/** When a row's retries must stop: its notification's expiration, else its creation plus the window. */
export interface RetryWindow {
  expiresAt: number | null;
  createdAt: number;
}

/**
 * The row update for an attempt. `attempts` is how many attempts the row had used before this
 * one. A credential failure leaves the row pending and uncounted: the tenant is paused and
 * nothing is burned. A retry waits the longer of the push service's wait and the row's own
 * backoff, so that an outage of hours costs a few dozen attempts, not thousands; it is given
 * up only when the next attempt would fall after the window closes — as `expired` when the
 * notification has an expiration (it no longer matters), else as `failed`.
 */
export function rowUpdate(id: number, attempts: number, result: AttemptResult, window: RetryWindow | null, policy: RetryPolicy, now: number, random: () => number = Math.random): DeliveryUpdate {
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
      if (policy.maxAttempts > 0 && attempts + 1 >= policy.maxAttempts) return { ...base, state: 'failed', lastReason: `${result.reason ?? 'retry'} (gave up after ${attempts + 1} attempts)` };
      // Whole milliseconds: the column is a BIGINT, and scaled waits (tests) are fractional.
      const next = Math.round(now + Math.max(0, result.retryAfterMs ?? 0, backoffDelay(attempts, policy.backoff, random)));
      if (window?.expiresAt != null) return next > window.expiresAt ? { ...base, state: 'expired' } : { ...base, state: 'pending', nextAttemptAt: next };
      const closes = (window?.createdAt ?? now) + policy.windowMs;
      if (next > closes) return { ...base, state: 'failed', lastReason: `${result.reason ?? 'retry'} (gave up: the retry window of ${formatWindow(policy.windowMs)} closed after ${attempts + 1} attempts)` };
      return { ...base, state: 'pending', nextAttemptAt: next };
    }
  }
}

function formatWindow(ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/**
 * The row update when nothing was sent because the endpoint's circuit is open: the row waits for
 * the circuit's next probe, spread over a quarter of its open time so that the backlog does not
 * come due all at once, and the wait spends no attempt. The retry window still applies.
 */
export function deferredUpdate(id: number, circuit: { retryAt: number; openMs: number; since: number }, endpoint: string, window: RetryWindow, policy: RetryPolicy, random: () => number = Math.random): DeliveryUpdate {
  // Eight steps rather than a continuum: rows with one due time are written back as one statement.
  const next = Math.round(circuit.retryAt + Math.floor(random() * 8) * circuit.openMs / 32);
  const reason = `CircuitOpen: ${endpoint} unreachable since ${new Date(circuit.since).toISOString()}`;
  const base = { id, lastClass: 'retry', lastStatus: null, lastReason: reason };
  if (window.expiresAt !== null && next > window.expiresAt) return { ...base, state: 'expired' };
  if (window.expiresAt === null && next > window.createdAt + policy.windowMs) {
    return { ...base, state: 'failed', lastReason: `${reason} (gave up: the retry window of ${formatWindow(policy.windowMs)} closed)` };
  }
  return { ...base, state: 'pending', nextAttemptAt: next, countsAsAttempt: false };
}
