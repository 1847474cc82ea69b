/**
 * A circuit per push endpoint (the APNs host, an MPNS host). After `threshold` connection
 * failures in a row the circuit opens: nothing is sent there until `openMs` has passed, then one
 * probe goes through. A probe that fails doubles the open time (up to `maxOpenMs`); any answer
 * from the endpoint closes the circuit. During an outage, rows then wait without spending
 * attempts, and the worker does not open thousands of doomed connections a second.
 */
export interface CircuitBreakerOptions {
  /** Connection failures in a row that open the circuit. Default 5. */
  threshold?: number;
  /** First open period. Default 1 s. */
  openMs?: number;
  /** Longest open period. Default 60 s. */
  maxOpenMs?: number;
  now?: () => number;
}

/** Whether a send may go out now; when not, the moment the endpoint is worth trying again. */
export type Admission = { allowed: true } | { allowed: false; retryAt: number; openMs: number; since: number };

interface Circuit {
  failures: number;
  /** 0 while closed. */
  openUntil: number;
  openMs: number;
  probing: boolean;
  /** When the first failure of this run happened. */
  since: number;
}

export class CircuitBreaker {
  readonly #circuits = new Map<string, Circuit>();
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #maxOpenMs: number;
  readonly #now: () => number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.threshold ?? 5;
    this.#openMs = options.openMs ?? 1000;
    this.#maxOpenMs = Math.max(this.#openMs, options.maxOpenMs ?? 60_000);
    this.#now = options.now ?? Date.now;
  }

  admit(endpoint: string): Admission {
    const c = this.#circuits.get(endpoint);
    if (!c || c.openUntil === 0) return { allowed: true };
    const now = this.#now();
    if (now < c.openUntil) return { allowed: false, retryAt: c.openUntil, openMs: c.openMs, since: c.since };
    // Half-open: one probe at a time; the rest wait for its verdict.
    if (c.probing) return { allowed: false, retryAt: now + c.openMs, openMs: c.openMs, since: c.since };
    c.probing = true;
    return { allowed: true };
  }

  /** The endpoint answered (whatever it said): close its circuit. */
  succeeded(endpoint: string): void {
    this.#circuits.delete(endpoint);
  }

  /** A send found the endpoint unreachable. */
  failed(endpoint: string): void {
    const now = this.#now();
    let c = this.#circuits.get(endpoint);
    if (!c) this.#circuits.set(endpoint, (c = { failures: 0, openUntil: 0, openMs: this.#openMs, probing: false, since: now }));
    c.failures++;
    if (c.probing) {
      c.probing = false;
      c.openMs = Math.min(this.#maxOpenMs, c.openMs * 2);
      c.openUntil = now + c.openMs;
    } else if (c.openUntil === 0 && c.failures >= this.#threshold) {
      c.openUntil = now + c.openMs;
    }
  }

  /** Endpoints whose circuit is open now, for logs and metrics. */
  open(): string[] {
    return [...this.#circuits].filter(([, c]) => c.openUntil !== 0).map(([endpoint]) => endpoint);
  }
}
