/**
 * At most `limit` API requests in their handlers at once; the rest wait here, in the order they
 * arrived, before they touch the database. Connections are still accepted and their requests
 * read (nothing waits in the listen backlog), and what is not an API request — /healthz, the
 * console, /metrics — never waits here.
 *
 * Why: 200 closed-loop clients keep ~200 requests in their handlers, and every queue they share
 * with the delivery engine (the event loop's, SQLite's reader and writer, the PostgreSQL pool)
 * holds ~200 of their turns; the engine's next step waits for all of them, and the fan-out goes
 * at a fifth of its unloaded pace (bench/load.bench.ts). Held to a few at a time the API keeps
 * the throughput its clients need (each of 200 clients answered within 1 s needs a few hundred
 * requests a second), and the queues stay short for everyone else. FIFO: no request waits for
 * one that arrived after it, so none waits unboundedly.
 */
export class AdmissionLimiter {
  readonly limit: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`The API's concurrency limit must be a whole number ≥ 1, not ${limit}`);
    this.limit = limit;
  }

  /** Requests in their handlers now. */
  get active(): number {
    return this.#active;
  }

  /** Requests waiting for a turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * A turn: `admitted` resolves when the request may go on (at once when fewer than `limit` are
   * active). `done()` ends the turn — the request was answered, or its client went away while it
   * waited or ran — and may be called any number of times: only the first counts.
   */
  enter(): { admitted: Promise<void>; done: () => void } {
    let state: 'waiting' | 'active' | 'done' = 'waiting';
    let admit!: () => void;
    const admitted = new Promise<void>((resolve) => (admit = resolve));
    const start = () => {
      state = 'active';
      this.#active++;
      admit();
    };
    const done = () => {
      if (state === 'waiting') {
        const i = this.#waiting.indexOf(start);
        if (i >= 0) this.#waiting.splice(i, 1);
      } else if (state === 'active') {
        this.#active--;
        this.#waiting.shift()?.();
      }
      state = 'done';
    };
    if (this.#active < this.limit) start();
    else this.#waiting.push(start);
    return { admitted, done };
  }
}
