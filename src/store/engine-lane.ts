import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The delivery engine's lane to the database: statements issued inside `asEngineWork` (the
 * delivery worker's loop and all it starts) are the engine's, and a dialect may serve them apart
 * from the API's.
 *
 * Why: under 200 API clients SQLite's reader thread has ~200 listings waiting, served in arrival
 * order (arrival-order.ts). The engine's reads — the due tenants, a claim's rows, a fan-out's next
 * slice — each queued behind all of them: 0.4–1 s apiece, three or four per batch of 1,000, while
 * its writes on the writer thread took 5–35 ms (traced, `npm run bench -- load`, 2026-12-01). So on
 * SQLite the engine's reads go to the writer thread (sqlite-dialect.ts): its queue holds only
 * writes, each a few milliseconds, and the reader is left to the API. The engine's work is the
 * same either way; it stops waiting for the API's.
 */
const lane = new AsyncLocalStorage<true>();

/** Run `fn` (and everything it starts) as the delivery engine's work. */
export function asEngineWork<T>(fn: () => T): T {
  return lane.run(true, fn);
}

/** Whether the current work is the delivery engine's. */
export function isEngineWork(): boolean {
  return lane.getStore() === true;
}
