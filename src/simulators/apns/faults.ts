/**
 * Faults the simulator injects, to test senders against the trouble real APNs makes.
 * Shares are probabilities in [0, 1], drawn from a seeded generator (same seed, same faults).
 *
 * @example { serviceUnavailable: 0.05, goawayAfterStreams: 500, seed: 7 }
 */
export interface ApnsFaults {
  /** Share of valid requests answered 429 TooManyRequests. */
  tooManyRequests?: number;
  /** Share answered 500 InternalServerError. */
  internalServerError?: number;
  /** Share answered 503 ServiceUnavailable. */
  serviceUnavailable?: number;
  /** Per connection: after this many streams, send GOAWAY (NO_ERROR, debug `{"reason": goawayReason}`) and refuse later streams. */
  goawayAfterStreams?: number;
  /** Reason in the GOAWAY debug data. Default Shutdown. */
  goawayReason?: string;
  /** Per connection: at this stream (or the next, if already past it), drop the connection (no GOAWAY, no answer). */
  resetAfterStreams?: number;
  /** Delay answers by this many ms (for the share `slowShare`, default all). */
  slowResponseMs?: number;
  slowShare?: number;
  /**
   * After a rejected request on a connection, lower SETTINGS_MAX_CONCURRENT_STREAMS to 1, and
   * raise it back after `restoreAfterAccepted` accepted requests (default 20) — as APNs does.
   */
  dropStreamLimitOnRejection?: boolean;
  restoreAfterAccepted?: number;
  /** Seed for the shares. Default 1. */
  seed?: number;
}

/** A small seeded PRNG (mulberry32): reproducible fault patterns. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The reason a share fault picks for this request, or undefined. */
export function pickShareFault(faults: ApnsFaults, random: () => number): 'TooManyRequests' | 'InternalServerError' | 'ServiceUnavailable' | undefined {
  const a = faults.tooManyRequests ?? 0;
  const b = faults.internalServerError ?? 0;
  const c = faults.serviceUnavailable ?? 0;
  if (a + b + c === 0) return undefined;
  const r = random();
  if (r < a) return 'TooManyRequests';
  if (r < a + b) return 'InternalServerError';
  if (r < a + b + c) return 'ServiceUnavailable';
  return undefined;
}
