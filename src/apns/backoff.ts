/** How retry delays grow. */
export interface BackoffPolicy {
  /** Delay for the first retry. Default 1,000 ms. */
  baseMs: number;
  /** Cap on any delay. Default 60,000 ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 60_000 };

/** Between connection attempts after connections that failed or made no progress. */
export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 30_000 };

/**
 * Delay before retry number `attempt` (0 = first retry): exponential, capped, with "equal
 * jitter" (half fixed, half random) so that many senders told to back off at once do not all
 * come back at the same moment.
 *
 * @example backoffDelay(3) // between 4,000 and 8,000 ms
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
