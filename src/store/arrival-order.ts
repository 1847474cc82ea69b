import { AsyncLocalStorage } from 'node:async_hooks';
import { isEngineWork } from './engine-lane.ts';

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

/**
 * The time the current work is ordered by: its request's arrival, or now — and for the
 * delivery engine's work (engine-lane.ts) the front of the queue. The engine has a statement or
 * two outstanding per batch in flight (two batches), each on behalf of notifications accepted
 * before the requests now waiting; ordered as background work begun "now", each of its
 * statements waited behind all ~200 of them, several times per batch of 1,000.
 */
export function orderTime(): number {
  if (isEngineWork()) return Number.NEGATIVE_INFINITY;
  return arrival.getStore() ?? performance.now();
}

/**
 * Waiters served oldest order time first; equal times in the order they came (FIFO among
 * background work, which takes `now` as it queues).
 */
export class ArrivalQueue<T> {
  readonly #items: Array<{ at: number; item: T }> = [];

  get length(): number {
    return this.#items.length;
  }

  /** `queue.length = 0` empties it, as for an array. */
  push(item: T, at = orderTime()): void {
    const items = this.#items;
    // Most items are the newest (background work, requests just arrived): scan from the end.
    let i = items.length;
    while (i > 0 && items[i - 1]!.at > at) i--;
    items.splice(i, 0, { at, item });
  }

  /** Take `item` out (a waiter that gave up); false when it was not waiting. */
  remove(item: T): boolean {
    const i = this.#items.findIndex((entry) => entry.item === item);
    if (i >= 0) this.#items.splice(i, 1);
    return i >= 0;
  }

  shift(): T | undefined {
    return this.#items.shift()?.item;
  }

  set length(n: 0) {
    this.#items.length = n;
  }
}
