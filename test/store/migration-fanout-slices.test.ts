// 0008_fanout_slices: notifications that exist at the migration were queued whole, so they get no
// cursor — they report, feed nothing and complete as they did.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { ServiceContext } from '../../src/service/context.ts';
import { notificationReport } from '../../src/service/notifications.ts';
import type { Dialect } from '../../src/store/migrations.ts';
import { backends } from '../fixtures/backends.ts';
import { databaseAt, type Location, openMigrated } from '../fixtures/migrations.ts';

/** A database at 0007 with one notification to all three devices: one delivered, two queued. */
async function databaseBefore0008(dialect: Dialect, where: Location): Promise<void> {
  await databaseAt(dialect, where, '0007_queue_and_results', async (db) => {
    await sql`INSERT INTO tenants (id, name, created_at) VALUES ('ten_a', 'Old', 1)`.execute(db);
    await sql`INSERT INTO devices (id, tenant_id, platform, token, push_magic, created_at, updated_at) VALUES
              ('dev_1', 'ten_a', 'mdm', 't1', 'p', 1, 1), ('dev_2', 'ten_a', 'mdm', 't2', 'p', 1, 1), ('dev_3', 'ten_a', 'mdm', 't3', 'p', 1, 1)`.execute(db);
    await sql`INSERT INTO notifications (id, tenant_id, request_hash, payload, created_at, total, completed_at) VALUES ('ntf_old', 'ten_a', 'h', '{"mdm":true}', 1000, 3, NULL)`.execute(db);
    const seq = sql`(SELECT seq FROM notifications WHERE id = 'ntf_old')`;
    await sql`INSERT INTO delivery_queue (id, notification_seq, tenant_id, device_id, attempts, next_attempt_at, updated_at) VALUES
              (20, ${seq}, 'ten_a', 'dev_2', 0, 1000, 1000), (21, ${seq}, 'ten_a', 'dev_3', 0, 1000, 1000)`.execute(db);
    await sql`INSERT INTO delivery_results (notification_seq, id, updated_at, attempts, state, device_id) VALUES (${seq}, 19, 1500, 1, 1, 'dev_1')`.execute(db);
  });
}

for (const backend of await backends()) {
  describe(`migration 0008_fanout_slices on ${backend.name}`, { skip: backend.skip }, () => {
    it('leaves a notification queued before it without a cursor: it reports, feeds nothing and completes once its queue is empty', async () => {
      const where = await backend.location();
      await databaseBefore0008(backend.name, where);
      const store = await openMigrated(where);
      const n = (await store.notifications.get('ten_a', 'ntf_old'))!;
      assert.equal(n.feedCursor, null);
      const report = await notificationReport({ store } as ServiceContext, 'ten_a', 'ntf_old', { limit: 10 });
      assert.equal(report.total, 3);
      assert.deepEqual(report.counts, { pending: 2, retrying: 0, delivered: 1, invalid: 0, rejected: 0, expired: 0, failed: 0 });
      assert.deepEqual(await store.notifications.feed(undefined, 2000), { queued: 0, ended: [] });
      const rows = await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 60_000, now: 2000 });
      assert.equal(rows.length, 2);
      await store.deliveries.finish(rows.map((r) => ({ id: r.id, state: 'delivered', lastClass: 'delivered', lastStatus: 200, lastReason: null })), 2000);
      assert.deepEqual((await store.notifications.completeFinished(['ntf_old'], 2000)).map((c) => c.id), ['ntf_old']);
    });
  });
}
