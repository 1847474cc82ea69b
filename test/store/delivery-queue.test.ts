// The queue and the results (README: Design, "The queue and the results"): a row waits in
// delivery_queue until its outcome is final, then moves to delivery_results exactly once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { ServiceContext } from '../../src/service/context.ts';
import { notificationReport } from '../../src/service/notifications.ts';
import { postgresClaim } from '../../src/store/deliveries.ts';
import type { Store } from '../../src/store/store.ts';
import { backends } from '../fixtures/backends.ts';

async function fanOut(store: Store, name: string, devices: number, at: number) {
  const tenant = await store.tenants.create(name, at);
  await store.devices.upsertMany(tenant.id, Array.from({ length: devices }, (_, i) => ({ platform: 'mdm' as const, token: `${name}-${i}-`.padEnd(64, '0'), pushMagic: 'pm' })), at);
  const notification = await store.notifications.create({ tenantId: tenant.id, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, at);
  return { tenant, notification };
}

async function tableCounts(store: Store, seq: number): Promise<{ queued: number; results: number }> {
  const db = store.database.db;
  const queued = await db.selectFrom('deliveryQueue').select((eb) => eb.fn.countAll<number>().as('n')).where('notificationSeq', '=', seq).executeTakeFirstOrThrow();
  const results = await db.selectFrom('deliveryResults').select((eb) => eb.fn.countAll<number>().as('n')).where('notificationSeq', '=', seq).executeTakeFirstOrThrow();
  return { queued: Number(queued.n), results: Number(results.n) };
}

for (const backend of await backends()) {
  describe(`delivery queue and results on ${backend.name}`, { skip: backend.skip }, () => {
    it('keeps a retry in the queue, counted and reported as retrying, and moves it to the results once final', async () => {
      const store = await backend.open();
      const { tenant, notification } = await fanOut(store, 'retry', 3, 1000);
      assert.deepEqual(await tableCounts(store, notification.seq), { queued: 3, results: 0 });
      const rows = await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 60_000, now: 2000 });
      await store.deliveries.finish([
        { id: rows[0]!.id, state: 'pending', nextAttemptAt: 9000, lastClass: 'retry', lastStatus: 503, lastReason: 'ServiceUnavailable' },
        { id: rows[1]!.id, state: 'delivered', lastClass: 'delivered', lastStatus: 200, lastReason: null },
        { id: rows[2]!.id, state: 'failed', lastClass: 'retry', lastStatus: 500, lastReason: 'InternalServerError (gave up)' },
      ], 3000);
      assert.deepEqual(await tableCounts(store, notification.seq), { queued: 1, results: 2 });
      assert.deepEqual(await store.notifications.completeFinished([notification.id], 3000), []);
      const report = await notificationReport({ store } as ServiceContext, tenant.id, notification.id, { limit: 10 });
      assert.deepEqual(report.counts, { pending: 1, retrying: 1, delivered: 1, invalid: 0, rejected: 0, expired: 0, failed: 1 });
      assert.deepEqual(report.results.map((r) => [r.state, r.attempts, r.class, r.status, r.reason, r.nextAttemptAt]), [
        ['pending', 1, 'retry', 503, 'ServiceUnavailable', new Date(9000).toISOString()],
        ['delivered', 1, 'delivered', 200, null, null],
        ['failed', 1, 'retry', 500, 'InternalServerError (gave up)', null],
      ]);
      // Not due before its retry time; then claimed again with its attempt counted, and finished.
      assert.deepEqual(await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 60_000, now: 8000 }), []);
      const again = await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 60_000, now: 9000 });
      assert.deepEqual(again.map((r) => [r.id, r.attempts]), [[rows[0]!.id, 1]]);
      await store.deliveries.finish([{ id: again[0]!.id, state: 'delivered', lastClass: 'delivered', lastStatus: 200, lastReason: null }], 9500);
      assert.deepEqual(await tableCounts(store, notification.seq), { queued: 0, results: 3 });
      assert.deepEqual((await store.notifications.completeFinished([notification.id], 9500)).map((n) => n.id), [notification.id]);
      const done = await notificationReport({ store } as ServiceContext, tenant.id, notification.id, { limit: 10 });
      assert.deepEqual(done.results.map((r) => [r.state, r.attempts]), [['delivered', 2], ['delivered', 1], ['failed', 1]]);
      assert.deepEqual(done.timeline.map((t) => t.delivered), [1, 1]);
    });

    it('makes a row claimed by a worker that died before finishing due again once its lease ends, and only then', async () => {
      const store = await backend.open();
      const { notification } = await fanOut(store, 'crash', 2, 1000);
      const first = await store.deliveries.claim({ workerId: 'dead', limit: 10, leaseMs: 30_000, now: 2000 });
      assert.equal(first.length, 2);
      // The worker is gone: nothing was finished. Until the lease ends nobody else gets the rows.
      assert.deepEqual(await store.deliveries.claim({ workerId: 'alive', limit: 10, leaseMs: 30_000, now: 31_999 }), []);
      assert.equal(await store.deliveries.backlog(), 2, 'leased rows still count as waiting');
      const second = await store.deliveries.claim({ workerId: 'alive', limit: 10, leaseMs: 30_000, now: 32_000 });
      assert.deepEqual(second.map((r) => [r.id, r.attempts]), first.map((r) => [r.id, 0]));
      await store.deliveries.finish(second.map((r) => ({ id: r.id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), 33_000);
      assert.deepEqual(await tableCounts(store, notification.seq), { queued: 0, results: 2 });
    });

    it('records a final outcome once when two workers finish the same row (a lease that lapsed mid-send)', async () => {
      const store = await backend.open();
      const { tenant, notification } = await fanOut(store, 'race', 200, 1000);
      const slow = await store.deliveries.claim({ workerId: 'slow', limit: 1000, leaseMs: 1000, now: 2000 });
      const fast = await store.deliveries.claim({ workerId: 'fast', limit: 1000, leaseMs: 60_000, now: 5000 });
      assert.equal(slow.length, 200);
      assert.deepEqual(fast.map((r) => r.id), slow.map((r) => r.id), 'the lapsed lease let the second worker claim every row');
      // Both report at once, in opposite orders and with different outcomes for the same rows.
      await Promise.all([
        store.deliveries.finish(slow.map((r) => ({ id: r.id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), 6000),
        store.deliveries.finish([...fast].reverse().map((r, i) => (i % 2 === 0
          ? { id: r.id, state: 'invalid' as const, lastClass: 'invalid', lastStatus: 410, lastReason: 'Unregistered' }
          : { id: r.id, state: 'pending' as const, nextAttemptAt: 99_000, lastClass: 'retry', lastStatus: 503, lastReason: null })), 6000),
      ]);
      const after = await tableCounts(store, notification.seq);
      const distinct = await store.database.db.selectFrom('deliveryResults').select((eb) => eb.fn.count<number>('id').distinct().as('n')).where('notificationSeq', '=', notification.seq).executeTakeFirstOrThrow();
      assert.equal(Number(distinct.n), after.results, 'one result per row at most');
      assert.equal(after.queued + after.results, 200, 'every row is either queued or has its one result');
      const report = await notificationReport({ store } as ServiceContext, tenant.id, notification.id, { limit: 1 });
      const sum = Object.entries(report.counts).filter(([k]) => k !== 'retrying').reduce((s, [, n]) => s + n, 0);
      assert.equal(sum, 200);
    });

    it('finishes rows of many notifications from two workers at once, each recorded once', async () => {
      const store = await backend.open();
      const sent = await Promise.all([0, 1, 2, 3].map((i) => fanOut(store, `many-${i}`, 150, 1000)));
      const claims = [
        await store.deliveries.claim({ workerId: 'a', limit: 300, leaseMs: 60_000, now: 2000 }),
        await store.deliveries.claim({ workerId: 'b', limit: 1000, leaseMs: 60_000, now: 2000 }),
      ];
      assert.equal(claims[0]!.length + claims[1]!.length, 600);
      // Each worker reports its rows in several concurrent batches, notifications interleaved.
      await Promise.all(claims.flatMap((rows) => [0, 1, 2].map((k) => store.deliveries.finish(
        rows.filter((_, i) => i % 3 === k).map((r) => ({ id: r.id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), 3000))));
      for (const s of sent) assert.deepEqual(await tableCounts(store, s.notification.seq), { queued: 0, results: 150 });
      const done = await store.notifications.completeFinished(sent.map((s) => s.notification.id), 3000);
      assert.equal(done.length, 4);
    });

    it('leases a claim\'s rows by their key, however long the queue (PostgreSQL: no scan of the queue)', { skip: backend.name !== 'postgres' && 'the plan is PostgreSQL\'s' }, async () => {
      // 64 tenants with 300 queued rows each, statistics fresh: what a claim meets in the middle
      // of a large fan-out. The planner once hashed the whole queue to join the claimable ids to it.
      const store = await backend.open();
      const db = store.database.db;
      await sql`INSERT INTO tenants (id, name, created_at) SELECT 't' || g, 'tenant ' || g, 0 FROM generate_series(1, 64) g`.execute(db);
      await sql`INSERT INTO notifications (id, tenant_id, request_hash, payload, created_at, total)
                SELECT 'n' || g, 't' || g, 'h', '{"mdm":true}', 0, 300 FROM generate_series(1, 64) g`.execute(db);
      await sql`INSERT INTO delivery_queue (notification_seq, next_attempt_at, updated_at, tenant_id, device_id)
                SELECT n.seq, 1000, 0, n.tenant_id, 'd' || g FROM notifications n, generate_series(1, 300) g`.execute(db);
      await sql`ANALYZE`.execute(db);
      const tenants = Array.from({ length: 64 }, (_, i) => `t${i + 1}`);
      const { rows } = await sql<Record<string, unknown>>`EXPLAIN (FORMAT JSON) ${postgresClaim(tenants, 16, 2000, 62_000)}`.execute(db);
      const queueScans: unknown[] = [];
      const walk = (node: Record<string, unknown>) => {
        if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'delivery_queue') queueScans.push(node);
        for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
      };
      const [plan] = Object.values(rows[0]!) as Array<Array<{ Plan: Record<string, unknown> }>>;
      walk(plan![0]!.Plan);
      assert.deepEqual(queueScans, [], JSON.stringify(plan));
      // And it claims what it should: 16 of each tenant's rows.
      const claimed = await store.deliveries.claim({ workerId: 'w', limit: 1024, leaseMs: 60_000, now: 2000 });
      assert.equal(claimed.length, 1024);
      assert.equal(new Set(claimed.map((r) => r.tenantId)).size, 64);
    });
  });
}
