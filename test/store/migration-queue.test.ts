// 0007_queue_and_results moves every delivery: pending rows to delivery_queue, final rows to
// delivery_results, ids kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { ServiceContext } from '../../src/service/context.ts';
import { notificationReport } from '../../src/service/notifications.ts';
import type { Dialect } from '../../src/store/migrations.ts';
import { backends } from '../fixtures/backends.ts';
import { databaseAt, type Location, openMigrated } from '../fixtures/migrations.ts';

/**
 * A database at 0006 with two notifications: ntf_done (all final) and ntf_busy (one retrying,
 * one parked by a paused credential, one delivered). The highest id is a final row.
 */
async function databaseBefore0007(dialect: Dialect, where: Location): Promise<void> {
  await databaseAt(dialect, where, '0006_webhooks_and_imports', async (db) => {
    await sql`INSERT INTO tenants (id, name, created_at) VALUES ('ten_a', 'Old', 1)`.execute(db);
    await sql`INSERT INTO devices (id, tenant_id, platform, token, push_magic, created_at, updated_at) VALUES
              ('dev_1', 'ten_a', 'mdm', 't1', 'p', 1, 1), ('dev_2', 'ten_a', 'mdm', 't2', 'p', 1, 1), ('dev_3', 'ten_a', 'mdm', 't3', 'p', 1, 1)`.execute(db);
    await sql`INSERT INTO notifications (id, tenant_id, request_hash, payload, created_at, total, completed_at) VALUES
              ('ntf_done', 'ten_a', 'h', '{"mdm":true}', 1000, 3, 3000), ('ntf_busy', 'ten_a', 'h', '{"mdm":true}', 2000, 3, NULL)`.execute(db);
    const seq = (id: string) => sql`(SELECT seq FROM notifications WHERE id = ${id})`;
    await sql`INSERT INTO deliveries (id, notification_seq, tenant_id, device_id, state, attempts, next_attempt_at, leased_by, last_class, last_status, last_reason, updated_at) VALUES
              (10, ${seq('ntf_done')}, 'ten_a', 'dev_1', 'delivered', 1, 3000, 'w', 'delivered', 200, NULL, 3000),
              (11, ${seq('ntf_done')}, 'ten_a', 'dev_2', 'invalid', 1, 3000, 'w', 'invalid', 410, 'Unregistered', 3000),
              (12, ${seq('ntf_done')}, 'ten_a', 'dev_3', 'failed', 4, 3000, 'w', 'retry', 503, 'ServiceUnavailable (gave up)', 3000),
              (13, ${seq('ntf_busy')}, 'ten_a', 'dev_1', 'pending', 2, 9000, 'w', 'retry', 503, 'ServiceUnavailable', 4000),
              (14, ${seq('ntf_busy')}, 'ten_a', 'dev_2', 'pending', 0, 60000, 'w', 'credential', NULL, 'CertificateExpired', 4000),
              (15, ${seq('ntf_busy')}, 'ten_a', 'dev_3', 'delivered', 1, 4000, 'w', 'delivered', 200, NULL, 4000)`.execute(db);
  });
}

for (const backend of await backends()) {
  describe(`migration 0007_queue_and_results on ${backend.name}`, { skip: backend.skip }, () => {
    it('moves pending rows to the queue and final rows to the results, ids, reports and the queue\'s order kept', async () => {
      const where = await backend.location();
      await databaseBefore0007(backend.name, where);
      const store = await openMigrated(where);
      const ctx = { store } as ServiceContext;
      const db = store.database.db;

      const queue = await db.selectFrom('deliveryQueue').select(['id', 'deviceId', 'attempts', 'nextAttemptAt', 'lastClass', 'lastReason']).orderBy('id').execute();
      assert.deepEqual(queue.map((r) => [Number(r.id), r.deviceId, r.attempts, Number(r.nextAttemptAt), r.lastClass, r.lastReason]), [
        [13, 'dev_1', 2, 9000, 'retry', 'ServiceUnavailable'], [14, 'dev_2', 0, 60000, 'credential', 'CertificateExpired'],
      ]);
      const results = await db.selectFrom('deliveryResults').select(['id', 'state', 'lastClass']).orderBy('id').execute();
      assert.deepEqual(results.map((r) => [Number(r.id), Number(r.state), r.lastClass]), [[10, 1, null], [11, 2, null], [12, 5, 'retry'], [15, 1, null]]);

      const done = await notificationReport(ctx, 'ten_a', 'ntf_done', { limit: 10 });
      assert.deepEqual(done.counts, { pending: 0, retrying: 0, delivered: 1, invalid: 1, rejected: 0, expired: 0, failed: 1 });
      assert.deepEqual(done.results.map((r) => [r.deviceId, r.state, r.class, r.status, r.reason]), [
        ['dev_1', 'delivered', 'delivered', 200, null], ['dev_2', 'invalid', 'invalid', 410, 'Unregistered'], ['dev_3', 'failed', 'retry', 503, 'ServiceUnavailable (gave up)'],
      ]);
      const busy = await notificationReport(ctx, 'ten_a', 'ntf_busy', { limit: 2 });
      assert.deepEqual(busy.counts, { pending: 2, retrying: 2, delivered: 1, invalid: 0, rejected: 0, expired: 0, failed: 0 });
      assert.deepEqual(busy.results.map((r) => [r.deviceId, r.state]), [['dev_1', 'pending'], ['dev_2', 'pending']]);
      const page2 = await notificationReport(ctx, 'ten_a', 'ntf_busy', { limit: 2, after: busy.nextCursor! });
      assert.deepEqual(page2.results.map((r) => [r.deviceId, r.state]), [['dev_3', 'delivered']]);

      // The retrying row comes due at its time; resuming the tenant wakes the parked one.
      assert.deepEqual((await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 1000, now: 9000 })).map((r) => r.id), [13]);
      await store.tenants.resume('ten_a', undefined, 9500);
      const woken = await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 1000, now: 9500 });
      assert.deepEqual(woken.map((r) => [r.id, r.notificationId]), [[14, 'ntf_busy']]);
      await store.deliveries.finish([13, 14].map((id) => ({ id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), 9600);
      assert.deepEqual((await store.notifications.completeFinished(['ntf_busy'], 9600)).map((n) => n.id), ['ntf_busy']);

      // New rows take ids after every old one, the final row 15 included.
      const n = await store.notifications.create({ tenantId: 'ten_a', idempotencyKey: null, requestHash: 'h', payload: '{}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 10_000);
      const ids = (await store.notifications.results(n.seq, 0, 10)).map((r) => r.id);
      assert.equal(ids.length, 3);
      assert.ok(ids.every((id) => id > 15), `new ids ${ids} follow the migrated ones`);
    });
  });
}
