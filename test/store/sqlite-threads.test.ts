// SQLite runs in worker threads (src/store/sqlite-dialect.ts): statements never hold the
// caller's event loop, transactions keep the one writer to themselves, reads outside them see
// the committed state without waiting, and errors arrive as node:sqlite threw them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { asEngineWork } from '../../src/store/engine-lane.ts';
import { openStore } from '../../src/store/store.ts';
import { atEnd, tempDir } from '../fixtures/pki.ts';

async function open() {
  const store = await openStore({ dataDir: tempDir('certpush-threads-') });
  atEnd(() => store.close());
  return store;
}

/** A statement that keeps SQLite busy for a while (a few hundred ms) without touching tables. */
const SLOW_COUNT = sql<{ n: number }>`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) AS n FROM c`;

describe('SQLite in worker threads', () => {
  it('keeps the event loop turning while a long statement runs', async () => {
    const store = await open();
    let turns = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const { rows } = await SLOW_COUNT.execute(store.database.db);
    done = true;
    assert.equal(rows[0]!.n, 2_000_000);
    // On the event loop itself the statement would run between two turns: zero turns.
    assert.ok(turns > 10, `the loop turned ${turns} times during the statement`);
  });

  it('commits a transaction\'s statements together and rolls all of them back when one fails', async () => {
    const store = await open();
    const { db } = store.database;
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('meta').values({ key: 'a', value: '1' }).execute();
      await tx.insertInto('meta').values({ key: 'b', value: '2' }).execute();
    });
    await assert.rejects(db.transaction().execute(async (tx) => {
      await tx.insertInto('meta').values({ key: 'c', value: '3' }).execute();
      await tx.insertInto('meta').values({ key: 'a', value: 'duplicate' }).execute();
    }), /UNIQUE constraint failed/);
    assert.deepEqual((await db.selectFrom('meta').select('key').where('key', 'in', ['a', 'b', 'c']).orderBy('key').execute()).map((r) => r.key), ['a', 'b']);
  });

  it('answers a read outside a transaction with the committed state while the transaction is open', async () => {
    const store = await open();
    const { db } = store.database;
    await store.setMeta('k', 'committed');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    const tx = db.transaction().execute(async (t) => {
      await t.updateTable('meta').set({ value: 'uncommitted' }).where('key', '=', 'k').execute();
      inside();
      await held;
    });
    await entered;
    // With one shared connection this read would queue behind the open transaction forever.
    assert.equal(await store.getMeta('k'), 'committed');
    release();
    await tx;
    assert.equal(await store.getMeta('k'), 'uncommitted');
  });

  it('answers the delivery engine\'s reads on the writer, not behind the reads queued on the reader', async () => {
    const store = await open();
    await store.setMeta('engine', 'read');
    // The API's side: the reader busy with slow reads, more waiting for it.
    const order: string[] = [];
    const api = Array.from({ length: 3 }, () => SLOW_COUNT.execute(store.database.db).then(() => order.push('api')));
    const engine = asEngineWork(() => store.getMeta('engine')).then((value) => order.push(`engine ${value}`));
    await Promise.all([...api, engine]);
    assert.equal(order[0], 'engine read', `answered in the order ${order.join(', ')}`);
    // Outside the engine's work a read queues on the reader, behind them.
    const later: string[] = [];
    await Promise.all([
      ...Array.from({ length: 1 }, () => SLOW_COUNT.execute(store.database.db).then(() => later.push('api'))),
      store.getMeta('engine').then(() => later.push('plain read')),
    ]);
    assert.equal(later.at(-1), 'plain read', `answered in the order ${later.join(', ')}`);
  });

  it('runs writes from many callers at once one after another, none lost', async () => {
    const store = await open();
    await Promise.all(Array.from({ length: 200 }, (_, i) => i % 2
      ? store.setMeta(`w${i}`, String(i))
      : store.database.db.transaction().execute(async (tx) => {
        await tx.insertInto('meta').values({ key: `w${i}`, value: String(i) }).execute();
      })));
    const rows = await store.database.db.selectFrom('meta').select((eb) => eb.fn.countAll<number>().as('n')).where('key', 'like', 'w%').executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), 200);
  });

  it('reports node:sqlite\'s error, with its code, for a bad statement', async () => {
    const store = await open();
    await assert.rejects(sql`SELECT nope FROM meta`.execute(store.database.db), (error: Error & { code?: string }) => {
      assert.match(error.message, /no such column: nope/);
      assert.equal(error.code, 'ERR_SQLITE_ERROR');
      return true;
    });
  });

  it('refuses statements after close with an error saying the database is not available', async () => {
    const store = await openStore({ dataDir: tempDir('certpush-threads-') });
    await store.close();
    await assert.rejects(store.getMeta('x'), /not available|destroyed/i);
  });

  it('does not keep a process alive that opened the store and never closed it', () => {
    const script = `import { openStore } from ${JSON.stringify(path.resolve('src/store/store.ts'))};
      const store = await openStore({ dataDir: ${JSON.stringify(tempDir('certpush-threads-'))} });
      await store.setMeta('x', '1');
      console.log(await store.getMeta('x'));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), '1');
  });
});
