// 0003_retention rebuilds deliveries (notification_seq instead of notification_id) and keeps
// every existing row, its queue state and its notification's report.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { ServiceContext } from '../../src/service/context.ts';
import { notificationReport } from '../../src/service/notifications.ts';
import type { Dialect } from '../../src/store/migrations.ts';
import { backends } from '../fixtures/backends.ts';
import { databaseAt, type Location, openMigrated } from '../fixtures/migrations.ts';

/** A database at 0001_initial with one notification: two delivered rows and one pending. */
async function oldDatabase(dialect: Dialect, where: Location): Promise<void> {
  await databaseAt(dialect, where, '0001_initial', async (db) => {
    await sql`INSERT INTO tenants (id, name, created_at) VALUES ('ten_a', 'Old', 1)`.execute(db);
    await sql`INSERT INTO devices (id, tenant_id, platform, token, push_magic, created_at, updated_at) VALUES
              ('dev_1', 'ten_a', 'mdm', 't1', 'p', 1, 1), ('dev_2', 'ten_a', 'mdm', 't2', 'p', 1, 1), ('dev_3', 'ten_a', 'mdm', 't3', 'p', 1, 1)`.execute(db);
    await sql`INSERT INTO notifications (id, tenant_id, request_hash, payload, created_at, total) VALUES ('ntf_old', 'ten_a', 'h', '{"mdm":true}', 1000, 3)`.execute(db);
    await sql`INSERT INTO deliveries (notification_id, tenant_id, device_id, state, attempts, next_attempt_at, last_class, last_status, updated_at) VALUES
              ('ntf_old', 'ten_a', 'dev_1', 'delivered', 1, 2000, 'delivered', 200, 2000),
              ('ntf_old', 'ten_a', 'dev_2', 'delivered', 1, 2000, 'delivered', 200, 2000),
              ('ntf_old', 'ten_a', 'dev_3', 'pending', 1, 5000, 'retry', 503, 2000)`.execute(db);
  });
}

for (const backend of await backends()) {
  describe(`migration 0003_retention on ${backend.name}`, { skip: backend.skip }, () => {
    it('keeps existing deliveries, their queue state and their report', async () => {
      const where = await backend.location();
      await oldDatabase(backend.name, where);
      const store = await openMigrated(where);
      const report = await notificationReport({ store } as ServiceContext, 'ten_a', 'ntf_old', { limit: 10 });
      assert.equal(report.total, 3);
      assert.deepEqual(report.counts, { pending: 1, retrying: 1, delivered: 2, invalid: 0, rejected: 0, expired: 0, failed: 0 });
      assert.deepEqual(report.results.map((r) => [r.deviceId, r.state]), [['dev_1', 'delivered'], ['dev_2', 'delivered'], ['dev_3', 'pending']]);
      assert.equal(report.detailExpiredAt, null);
      // The pending row is still queued and claims with its notification's id.
      const claimed = await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 1000, now: 6000 });
      assert.deepEqual(claimed.map((c) => [c.notificationId, c.deviceId, c.attempts]), [['ntf_old', 'dev_3', 1]]);
      // New rows continue the old ids, and a new notification gets its own seq.
      const n = await store.notifications.create({ tenantId: 'ten_a', idempotencyKey: null, requestHash: 'h', payload: '{}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 7000);
      assert.equal(n.total, 3);
      const old = await store.notifications.get('ten_a', 'ntf_old');
      assert.notEqual(n.seq, old!.seq);
      const ids = (await store.notifications.results(n.seq, 0, 10)).map((r) => r.id);
      assert.ok(ids.every((id) => id > claimed[0]!.id), `new ids ${ids} follow the migrated ones`);
    });
  });
}
