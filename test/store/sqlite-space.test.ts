// SQLite gives the space retention frees back to the file system (incremental auto-vacuum).
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { runRetention } from '../../src/delivery/retention.ts';
import { SQLITE_FILE } from '../../src/store/database.ts';
import { pragmaNumber, releaseFreePages } from '../../src/store/sqlite-space.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { atEnd, tempDir } from '../fixtures/pki.ts';

async function open(dir: string): Promise<Store> {
  const store = await openStore({ dataDir: dir });
  atEnd(() => store.close());
  return store;
}

const pages = (store: Store) => pragmaNumber(store.database.db, sql`PRAGMA page_count`);

/** 4,000 delivered rows of one notification, completed at time 1000. */
async function deliveredRows(store: Store) {
  const tenant = await store.tenants.create('space', 1);
  await store.devices.upsertMany(tenant.id, Array.from({ length: 4000 }, (_, i) => ({ platform: 'mdm' as const, token: i.toString(16).padStart(64, '0'), pushMagic: 'pm' })), 1);
  const n = await store.notifications.create({ tenantId: tenant.id, idempotencyKey: null, requestHash: 'h', payload: '{}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 1);
  // A fan-out is queued a slice at a time: deliver and feed as the delivery engine does, until it completes.
  for (let now = 2; (await store.notifications.completeFinished([n.id], 1000)).length === 0; now++) {
    const rows = await store.deliveries.claim({ workerId: 'w', limit: 10_000, leaseMs: 1000, now });
    await store.deliveries.finish(rows.map((r) => ({ id: r.id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), 1000);
    await store.notifications.feed([n.id], now);
  }
  return n;
}

describe('SQLite space', () => {
  it('creates new databases with incremental auto-vacuum', async () => {
    const store = await open(tempDir('certpush-space-'));
    assert.equal(await pragmaNumber(store.database.db, sql`PRAGMA auto_vacuum`), 2);
  });

  it('converts a database made without auto-vacuum when it is opened, keeping its rows', async () => {
    const dir = tempDir('certpush-space-');
    const first = await openStore({ dataDir: dir });
    await first.tenants.create('kept');
    await first.close();
    const raw = new DatabaseSync(path.join(dir, SQLITE_FILE));
    raw.exec('PRAGMA auto_vacuum = NONE; VACUUM;');
    assert.equal(Object.values(raw.prepare('PRAGMA auto_vacuum').get()!)[0], 0);
    raw.close();
    const store = await open(dir);
    assert.equal(await pragmaNumber(store.database.db, sql`PRAGMA auto_vacuum`), 2);
    assert.deepEqual((await store.tenants.list()).map((t) => t.name), ['kept']);
  });

  it('frees as many pages as asked in one call', async () => {
    const store = await open(tempDir('certpush-space-'));
    await deliveredRows(store);
    await store.database.db.deleteFrom('deliveryResults').execute();
    // The results' pages (the queue's slices reuse their own pages, so it frees few).
    assert.ok(await pragmaNumber(store.database.db, sql`PRAGMA freelist_count`) > 40);
    assert.equal(await releaseFreePages(store.database.db, 40), 40);
  });

  it('shrinks the file after retention deletes rows', async () => {
    const store = await open(tempDir('certpush-space-'));
    await deliveredRows(store);
    const full = await pages(store);
    const pass = await runRetention(store, { holder: 'a', retentionMs: 1000, now: 5000 });
    assert.equal(pass.deleted, 4000);
    const after = await pages(store);
    assert.ok(after < full, `${after} pages after retention, ${full} before`);
    assert.equal(await pragmaNumber(store.database.db, sql`PRAGMA freelist_count`), 0, 'every freed page went back');
  });
});
