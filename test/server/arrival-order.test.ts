// The database's queues serve the work that began first (src/store/arrival-order.ts): a
// request's later statements go ahead of work that began after the request arrived.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { ArrivalQueue, orderTime, withArrival } from '../../src/store/arrival-order.ts';
import { ArrivalOrderedPool } from '../../src/store/database.ts';
import { asEngineWork } from '../../src/store/engine-lane.ts';
import { openStore } from '../../src/store/store.ts';
import { freshPostgresDatabase, postgresReachable } from '../fixtures/backends.ts';
import { atEnd, tempDir } from '../fixtures/pki.ts';

/** Keeps SQLite busy a while without touching tables. */
const SLOW = sql<{ n: number }>`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) AS n FROM c`;

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

  it('puts the delivery engine\'s work first: it works for notifications accepted before the requests waiting', async () => {
    await withArrival(42, async () => {
      assert.equal(asEngineWork(() => orderTime()), Number.NEGATIVE_INFINITY, 'even when a request started it');
    });
    const queue = new ArrivalQueue<string>();
    queue.push('request from 10', 10);
    asEngineWork(() => queue.push('engine 1'));
    asEngineWork(() => queue.push('engine 2'));
    assert.deepEqual([queue.shift(), queue.shift(), queue.shift()], ['engine 1', 'engine 2', 'request from 10']);
  });

  it('on SQLite, answers a read of older work before a background read queued ahead of it', async () => {
    const store = await openStore({ dataDir: tempDir('certpush-arrival-') });
    atEnd(() => store.close());
    const { db } = store.database;
    await store.setMeta('k', 'v');
    const answered: string[] = [];
    // Four slow reads fill the reader's in-flight window; the rest wait in its queue.
    const busy = Array.from({ length: 4 }, () => SLOW.execute(db));
    const background = store.getMeta('k').then(() => answered.push('background'));
    const request = withArrival(performance.now() - 60_000, () => store.getMeta('k')).then(() => answered.push('request'));
    await Promise.all([...busy, background, request]);
    assert.deepEqual(answered, ['request', 'background']);
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

  it('on PostgreSQL, hands a freed connection to the delivery engine before the requests waiting', async (t) => {
    if (!(await postgresReachable())) return t.skip('PostgreSQL unreachable');
    const raw = new pg.Pool({ connectionString: await freshPostgresDatabase(), max: 1 });
    const pool = new ArrivalOrderedPool(raw, 1);
    atEnd(() => pool.end());
    const held = await pool.connect();
    const answered: string[] = [];
    const requests = [1, 2, 3].map((i) => withArrival(performance.now() - 60_000, () => pool.query(`SELECT ${i}`)).then(() => answered.push(`request ${i}`)));
    const engine = asEngineWork(() => pool.query('SELECT 0')).then(() => answered.push('engine'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    held.release();
    await Promise.all([...requests, engine]);
    assert.deepEqual(answered, ['engine', 'request 1', 'request 2', 'request 3']);
  });
});
