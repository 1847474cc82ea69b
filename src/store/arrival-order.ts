import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The order in which the database's queues serve their waiters: the statement whose work began
 * first goes first. An API request's statements carry the time the request arrived; background
 * work (the delivery engine, chores) carries the time it issued the statement. Without it every
 * queue is FIFO per statement, so a request that needs three round trips (a send: its checks,
 * then its transaction) queues three times behind the 200 listings that came after it, and
 * answers ~2–3× later than they do (bench/load.bench.ts: PostgreSQL's sends, p50 615 ms against
 * the listings' 293). Served by arrival, a request's later statements go ahead of work that
 * began after the request did, and nothing waits for work that began after it: no starvation.
 */
const arrival = new AsyncLocalStorage<number>();

/**
 * From here on in this asynchronous context (the rest of an HTTP request's handling), work is
 * ordered as having begun at `at` (performance.now() time).
 */
export function enterArrival(at: number): void {
  arrival.enterWith(at);
}

/** Run `fn` (and all it starts) ordered as having begun at `at`. */
export function withArrival<T>(at: number, fn: () => T): T {
  return arrival.run(at, fn);
}

/** Run `fn` as background work, outside any request's order (a wake-up a request triggers). */
export function asBackground<T>(fn: () => T): T {
  return arrival.exit(fn);
}

/** The time the current work is ordered by: its request's arrival, or now. */
export function orderTime(): number {
  return arrival.getStore() ?? performance.now();
}

/** True outside any request's order: the delivery engine, chores, a wake-up a request triggered. */
export function isBackground(): boolean {
  return arrival.getStore() === undefined;
}

export interface ArrivalQueueOptions {
  /**
   * Background waiters served per request turn while both wait (undefined: no classes, every
   * waiter by its order time alone). With 1, background work and requests alternate, so
   * background work waits behind at most one request per waiter ahead of it, and a request
   * behind at most one background waiter per request ahead of it: neither class starves.
   */
  backgroundTurns?: number;
}

/**
 * Waiters served oldest order time first; equal times in the order they came (FIFO among
 * background work, which takes `now` as it queues).
 *
 * With `backgroundTurns`, background work is a class of its own, served at a fixed share
 * instead of behind every request that arrived before it queued: under 200 closed-loop API
 * clients ~200 requests are always older than anything the delivery engine issues, so ordered
 * by time alone each of the engine's statements waits for all of them (bench/load.bench.ts:
 * a claim's reads waited ~300 ms on SQLite's reader). Requests among themselves stay in arrival
 * order; background work among itself in the order it came.
 */
export class ArrivalQueue<T> {
  readonly #items: Array<{ at: number; item: T }> = [];
  readonly #background: T[] = [];
  readonly #turns: number | undefined;
  /** Background waiters served since the last request was (at most `backgroundTurns`). */
  #run = 0;

  constructor(options: ArrivalQueueOptions = {}) {
    if (options.backgroundTurns !== undefined && !(Number.isInteger(options.backgroundTurns) && options.backgroundTurns >= 1)) {
      throw new RangeError(`backgroundTurns must be a whole number ≥ 1, not ${options.backgroundTurns}`);
    }
    this.#turns = options.backgroundTurns;
  }

  get length(): number {
    return this.#items.length + this.#background.length;
  }

  /**
   * `at`: the waiter's order time (default: its request's arrival, or now). `background`:
   * whether it is background work (default: outside any request), used only with
   * `backgroundTurns`.
   */
  push(item: T, at = orderTime(), background = isBackground()): void {
    if (this.#turns !== undefined && background) {
      this.#background.push(item);
      return;
    }
    const items = this.#items;
    // Most items are the newest (background work, requests just arrived): scan from the end.
    let i = items.length;
    while (i > 0 && items[i - 1]!.at > at) i--;
    items.splice(i, 0, { at, item });
  }

  /** Take `item` out (a waiter that gave up); false when it was not waiting. */
  remove(item: T): boolean {
    const b = this.#background.indexOf(item);
    if (b >= 0) {
      this.#background.splice(b, 1);
      return true;
    }
    const i = this.#items.findIndex((entry) => entry.item === item);
    if (i >= 0) this.#items.splice(i, 1);
    return i >= 0;
  }

  /**
   * The next waiter. With classes: background work when none of the requests wait or fewer than
   * `backgroundTurns` background waiters were served since the last request; else the oldest
   * request.
   */
  shift(): T | undefined {
    if (this.#background.length > 0 && (this.#items.length === 0 || this.#run < this.#turns!)) {
      this.#run = Math.min(this.#run + 1, this.#turns!);
      return this.#background.shift();
    }
    this.#run = 0;
    return this.#items.shift()?.item;
  }

  set length(n: 0) {
    this.#items.length = n;
    this.#background.length = n;
    this.#run = 0;
  }
}
