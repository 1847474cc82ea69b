// The database's queues serve the work that began first (src/store/arrival-order.ts): a
// request's later statements go ahead of work that began after the request arrived. SQLite's
// queues give background work (the delivery engine) a share of turns of its own: it waits
// behind at most one request per background waiter ahead of it, and no request starves.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import pg from 'pg';
import { ArrivalQueue, isBackground, orderTime, withArrival } from '../../src/store/arrival-order.ts';
import { ArrivalOrderedPool } from '../../src/store/database.ts';
import { openStore } from '../../src/store/store.ts';
import { freshPostgresDatabase, postgresReachable } from '../fixtures/backends.ts';
import { atEnd, tempDir } from '../fixtures/pki.ts';

/** Keeps SQLite busy a while without touching tables. */
const SLOW = sql<{ n: number }>`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) AS n FROM c`;
/**
 * A read, and a write, that take a few milliseconds each: answers that arrive apart come back in
 * the order the thread ran them (answers of one burst may reach their callers in any order).
 */
const readTaking = () => sql<{ n: number }>`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000) SELECT count(*) AS n FROM c`;
const writeTaking = (key: string) => sql`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000)
  INSERT INTO meta (key, value) SELECT ${key}, count(*) FROM c`;

describe('arrival order', () => {
  it('serves the oldest work first, and work of the same moment in the order it came', () => {
    const queue = new ArrivalQueue<string>();
    queue.push('background 1', 30);
    queue.push('request from 10', 10);
    queue.push('background 2', 30);
    queue.push('request from 20', 20);
    queue.push('gave up', 5);
    assert.equal(queue.remove('gave up'), true);
    assert.equal(queue.remove('gave up'), false);
    assert.equal(queue.length, 4);
    assert.deepEqual([queue.shift(), queue.shift(), queue.shift(), queue.shift(), queue.shift()], ['request from 10', 'request from 20', 'background 1', 'background 2', undefined]);
  });

  it('orders work by its request\'s arrival inside it, and by now outside', async () => {
    const before = performance.now();
    assert.ok(orderTime() >= before);
    await withArrival(42, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(orderTime(), 42, 'across awaits and timers');
    });
    assert.ok(orderTime() >= before);
  });

  it('with background turns, alternates background work and requests while both wait; each class in its own order', () => {
    const queue = new ArrivalQueue<string>({ backgroundTurns: 1 });
    queue.push('request from 20', 20, false);
    queue.push('engine claim', 50, true);
    queue.push('request from 10', 10, false);
    queue.push('engine finish', 40, true);
    queue.push('request from 30', 30, false);
    queue.push('chore', 60, true);
    assert.equal(queue.length, 6);
    const served = Array.from({ length: 7 }, () => queue.shift());
    assert.deepEqual(served, ['engine claim', 'request from 10', 'engine finish', 'request from 20', 'chore', 'request from 30', undefined],
      'background first in the order it came, not by its (later) time; requests by arrival');
    assert.equal(queue.length, 0);
  });

  it('with background turns, a long run of background work still lets a request through at its share', () => {
    const queue = new ArrivalQueue<string>({ backgroundTurns: 2 });
    for (let i = 0; i < 5; i++) queue.push(`bg ${i}`, 100 + i, true);
    queue.push('request', 1, false);
    assert.deepEqual([queue.shift(), queue.shift(), queue.shift(), queue.shift()], ['bg 0', 'bg 1', 'request', 'bg 2']);
    // Background alone: served back to back; a request arriving after such a run goes first.
    assert.deepEqual([queue.shift(), queue.shift()], ['bg 3', 'bg 4']);
    queue.push('bg 5', 200, true);
    queue.push('late request', 150, false);
    assert.deepEqual([queue.shift(), queue.shift(), queue.shift()], ['late request', 'bg 5', undefined]);
    assert.throws(() => new ArrivalQueue({ backgroundTurns: 0 }), /backgroundTurns must be a whole number ≥ 1/);
  });

  it('with background turns, no waiter starves: any sequence of arrivals and turns keeps both bounds', () => {
    type Op = { kind: 'push'; background: boolean; at: number } | { kind: 'shift' };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), background: fc.boolean(), at: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('shift' as const) }),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.array(op, { maxLength: 200 }), (turns, ops: Op[]) => {
      const queue = new ArrivalQueue<number>({ backgroundTurns: turns });
      const waiting = new Map<number, { background: boolean; at: number; otherServed: number; ownAheadAtPush: number; ownServed: number }>();
      let next = 0;
      const serve = () => {
        const id = queue.shift();
        if (id === undefined) return assert.equal(waiting.size, 0, 'nothing is served while waiters are left');
        const served = waiting.get(id)!;
        waiting.delete(id);
        for (const w of waiting.values()) {
          if (w.background !== served.background) w.otherServed++;
          else w.ownServed++;
          // A request is never passed by a request that arrived after it.
          if (!w.background && !served.background) assert.ok(served.at <= w.at, `request from ${served.at} went ahead of one from ${w.at}`);
        }
        // Background work waits behind at most one request per background waiter ahead of it, plus one.
        if (served.background) assert.ok(served.otherServed <= served.ownAheadAtPush + 1, `background waited for ${served.otherServed} requests with ${served.ownAheadAtPush} ahead`);
        // A request waits for at most `turns` background waiters per request served before it, plus one round.
        else assert.ok(served.otherServed <= turns * (served.ownServed + 1), `request waited for ${served.otherServed} background waiters`);
      };
      for (const o of ops) {
        if (o.kind === 'shift') serve();
        else {
          const id = next++;
          const ownAheadAtPush = [...waiting.values()].filter((w) => w.background === o.background).length;
          waiting.set(id, { background: o.background, at: o.at, otherServed: 0, ownAheadAtPush, ownServed: 0 });
          queue.push(id, o.at, o.background);
        }
      }
      while (waiting.size > 0) serve();
    }), { numRuns: 500 });
  });

  it('is background work outside a request, a request inside it', async () => {
    assert.equal(isBackground(), true);
    await withArrival(1, async () => {
      await sleep(1);
      assert.equal(isBackground(), false);
    });
  });

  it('on SQLite, answers a background read after at most one of the older requests queued with it, and those in arrival order', async () => {
    const store = await openStore({ dataDir: tempDir('certpush-arrival-') });
    atEnd(() => store.close());
    const { db } = store.database;
    await store.setMeta('k', 'v');
    const answered: string[] = [];
    // Four slow reads fill the reader's in-flight window; the rest wait in its queue.
    const busy = Array.from({ length: 4 }, () => SLOW.execute(db));
    await sleep(10);
    const requests = [3, 1, 2].map((n) => withArrival(performance.now() - 60_000 + n, () => readTaking().execute(db)).then(() => answered.push(`request ${n}`)));
    const background = readTaking().execute(db).then(() => answered.push('background'));
    await Promise.all([...busy, ...requests, background]);
    assert.ok(answered.indexOf('background') <= 1, `background answered ${answered.indexOf('background') + 1}th: ${answered.join(', ')}`);
    assert.deepEqual(answered.filter((a) => a !== 'background'), ['request 1', 'request 2', 'request 3']);
  });

  it('on SQLite, gives the writer to a background write after at most one of the requests waiting for it', async () => {
    const store = await openStore({ dataDir: tempDir('certpush-arrival-') });
    atEnd(() => store.close());
    const { db } = store.database;
    const answered: string[] = [];
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    // A transaction holds the writer; the writes below wait for it.
    const transaction = db.transaction().execute(async (trx) => {
      await sql`SELECT 1`.execute(trx);
      opened();
      await holding;
    });
    await isOpen;
    const requests = [3, 1, 2].map((n) => withArrival(performance.now() - 60_000 + n, () => writeTaking(`r${n}`).execute(db)).then(() => answered.push(`request ${n}`)));
    const background = writeTaking('bg').execute(db).then(() => answered.push('background'));
    await sleep(20);
    assert.equal(answered.length, 0, 'no write goes while the transaction is open');
    release();
    await Promise.all([transaction, ...requests, background]);
    assert.ok(answered.indexOf('background') <= 1, `background answered ${answered.indexOf('background') + 1}th: ${answered.join(', ')}`);
    assert.deepEqual(answered.filter((a) => a !== 'background'), ['request 1', 'request 2', 'request 3']);
    assert.equal(await store.getMeta('bg'), '40000');
  });

  it('on PostgreSQL, hands a freed connection to the oldest work, and gives up on a wait as pg does', async (t) => {
    if (!(await postgresReachable())) return t.skip('PostgreSQL unreachable');
    const raw = new pg.Pool({ connectionString: await freshPostgresDatabase(), max: 1 });
    const pool = new ArrivalOrderedPool(raw, 1, 300);
    atEnd(() => pool.end());
    const held = await pool.connect();
    const answered: string[] = [];
    const background = pool.query('SELECT 1').then(() => answered.push('background'));
    const request = withArrival(performance.now() - 60_000, () => pool.query('SELECT 2')).then(() => answered.push('request'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    held.release();
    await Promise.all([background, request]);
    assert.deepEqual(answered, ['request', 'background']);
    const again = await pool.connect();
    await assert.rejects(pool.query('SELECT 3'), /timeout exceeded when trying to connect/);
    again.release();
    assert.equal((await pool.query('SELECT 4 AS n') as pg.QueryResult).rows[0].n, 4, 'the slot of the waiter that gave up is not lost');
  });
});
