// Retention (README: Retention): per-device rows past the window are folded into their
// notification's counts and deleted, in bounded batches, by one process at a time.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { BackgroundTasks } from '../../src/delivery/background.ts';
import { DAY_MS, runRetention } from '../../src/delivery/retention.ts';
import type { ServiceConfig } from '../../src/config.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { notificationReport } from '../../src/service/notifications.ts';
import type { DeliveryState } from '../../src/store/schema.ts';
import type { Store } from '../../src/store/store.ts';
import { backends } from '../fixtures/backends.ts';

const WINDOW = 7 * DAY_MS;
const T0 = 1_700_000_000_000;

/** A tenant with `devices` MDM devices and one notification to all, sent at `at`. */
async function fanOut(store: Store, name: string, devices: number, at: number) {
  const tenant = await store.tenants.create(name, at);
  await store.devices.upsertMany(tenant.id, Array.from({ length: devices }, (_, i) => ({ platform: 'mdm' as const, token: `${name}-${String(i).padStart(6, '0')}-`.padEnd(64, '0'), pushMagic: 'pm' })), at);
  const notification = await store.notifications.create({ tenantId: tenant.id, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, at);
  return { tenant, notification };
}

/** Claim every due row and give row i the outcome outcomes(i); then mark finished notifications complete. */
async function deliverAll(store: Store, at: number, outcomes: (i: number) => DeliveryState = () => 'delivered') {
  const rows = await store.deliveries.claim({ workerId: 'w', limit: 100_000, leaseMs: 60_000, now: at });
  await store.deliveries.finish(rows.map((r, i) => {
    const state = outcomes(i);
    return { id: r.id, state, lastClass: state === 'pending' ? 'retry' : state, lastStatus: state === 'delivered' ? 200 : 410, lastReason: null, nextAttemptAt: state === 'pending' ? at + 1000 : undefined };
  }), at);
  await store.notifications.completeFinished([...new Set(rows.map((r) => r.notificationId))], at);
  return rows;
}

async function remainingRows(store: Store, seq: number): Promise<number> {
  return (await store.notifications.counts(seq)).reduce((sum, r) => sum + r.n, 0);
}

for (const backend of await backends()) {
  describe(`retention on ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    let ctx: ServiceContext;
    // A fresh database per test: deliverAll claims every due row there is.
    beforeEach(async () => {
      store = await backend.open();
      ctx = { store } as ServiceContext;
    });

    it('folds a notification past the window into its counts: the report has the same totals, and says the detail expired', async () => {
      const { tenant, notification } = await fanOut(store, 'fold', 250, T0);
      const mix: DeliveryState[] = ['delivered', 'delivered', 'delivered', 'invalid', 'rejected', 'expired', 'failed'];
      await deliverAll(store, T0 + 1000, (i) => mix[i % mix.length]!);
      const beforeReport = await notificationReport(ctx, tenant.id, notification.id, { limit: 10 });
      assert.equal(beforeReport.detailExpiredAt, null);
      assert.equal(beforeReport.results.length, 10);

      const pass = await runRetention(store, { holder: 'a', retentionMs: WINDOW, now: T0 + 1000 + WINDOW + 1, batchRows: 40 });
      assert.deepEqual(pass, { ran: true, deleted: 250, expired: 1 });

      const after = await notificationReport(ctx, tenant.id, notification.id, { limit: 10 });
      assert.equal(after.total, beforeReport.total);
      assert.deepEqual(after.counts, beforeReport.counts);
      assert.equal(after.detailExpiredAt, new Date(T0 + 1000 + WINDOW + 1).toISOString());
      assert.deepEqual(after.results, []);
      assert.equal(await remainingRows(store, notification.seq), 0);
    });

    it('keeps the rows of notifications that completed inside the window', async () => {
      const { notification } = await fanOut(store, 'recent', 30, T0);
      await deliverAll(store, T0 + 1000);
      const pass = await runRetention(store, { holder: 'a', retentionMs: WINDOW, now: T0 + 1000 + WINDOW - 1 });
      assert.equal(pass.deleted, 0);
      assert.equal(await remainingRows(store, notification.seq), 30);
    });

    it('never deletes a pending row, even of a notification sent long before the window', async () => {
      const { tenant, notification } = await fanOut(store, 'pending', 20, T0);
      // Half the rows are retrying: the notification is not complete and keeps everything.
      await deliverAll(store, T0 + 1000, (i) => (i % 2 === 0 ? 'pending' : 'delivered'));
      await runRetention(store, { holder: 'a', retentionMs: WINDOW, now: T0 + 30 * DAY_MS });
      assert.equal(await remainingRows(store, notification.seq), 20);

      // Even a notification wrongly marked complete with rows still pending loses only its final rows.
      await store.database.db.updateTable('notifications').set({ completedAt: T0 + 2000 }).where('id', '=', notification.id).execute();
      await runRetention(store, { holder: 'a', retentionMs: WINDOW, now: T0 + 30 * DAY_MS });
      const counts = await store.notifications.counts(notification.seq);
      assert.deepEqual(counts.map((c) => [c.state, c.n]), [['pending', 10]]);
      const report = await notificationReport(ctx, tenant.id, notification.id, { limit: 100 });
      assert.equal(report.detailExpiredAt, null, 'the detail of pending rows is still there');
      assert.equal(report.counts.delivered, 10);
      assert.equal(report.counts.pending, 10);
    });

    it('runs safely with two workers at once: every row is counted exactly once', async () => {
      const sent = await Promise.all([0, 1, 2].map((i) => fanOut(store, `twice-${i}`, 300, T0)));
      await deliverAll(store, T0 + 1000, (i) => (i % 3 === 0 ? 'invalid' : 'delivered'));
      const reports = await Promise.all(sent.map((s) => notificationReport(ctx, s.tenant.id, s.notification.id, { limit: 1 })));
      const now = T0 + 1000 + WINDOW + 1;
      // Two processes' passes at once (different holders) and, under them, folds that race with
      // no lease at all: the counts come from each DELETE's own rows, so nothing is counted twice.
      const passes = await Promise.all([
        runRetention(store, { holder: 'worker-1', retentionMs: WINDOW, now, batchRows: 25 }),
        runRetention(store, { holder: 'worker-2', retentionMs: WINDOW, now, batchRows: 25 }),
        ...sent.map((s) => store.retention.fold(s.notification.seq, 100, now)),
        ...sent.map((s) => store.retention.fold(s.notification.seq, 100, now)),
      ]);
      assert.ok(passes.slice(0, 2).some((p) => 'ran' in p && p.ran), 'one pass held the lease');
      await runRetention(store, { holder: 'worker-1', retentionMs: WINDOW, now });
      for (const [i, s] of sent.entries()) {
        const after = await notificationReport(ctx, s.tenant.id, s.notification.id, { limit: 1 });
        assert.deepEqual(after.counts, reports[i]!.counts);
        assert.notEqual(after.detailExpiredAt, null);
        assert.equal(await remainingRows(store, s.notification.seq), 0);
      }
    });

    it('lets one process run retention at a time, and another take over once its lease runs out', async () => {
      assert.equal(await store.leases.acquire('job', 'p1', 60_000, 1000), true);
      assert.equal(await store.leases.acquire('job', 'p2', 60_000, 2000), false, 'held by p1');
      assert.equal(await store.leases.acquire('job', 'p1', 60_000, 3000), true, 'the holder extends it');
      assert.equal(await store.leases.acquire('job', 'p2', 60_000, 63_001), true, 'expired: p2 takes over');
      assert.equal(await store.leases.acquire('job', 'p1', 60_000, 64_000), false);
      await store.leases.release('job', 'p2');
      assert.equal(await store.leases.acquire('job', 'p1', 60_000, 65_000), true, 'released');
    });

    it('skips a pass while another process holds the retention lease', async () => {
      const { notification } = await fanOut(store, 'held', 10, T0);
      await deliverAll(store, T0 + 1000);
      assert.equal(await store.leases.acquire('retention', 'other', 60_000), true);
      const pass = await runRetention(store, { holder: 'me', retentionMs: WINDOW, now: T0 + 1000 + WINDOW + 1 });
      assert.deepEqual(pass, { ran: false, deleted: 0, expired: 0 });
      assert.equal(await remainingRows(store, notification.seq), 10);
      await store.leases.release('retention', 'other');
    });

    it('runs in the worker\'s background chores with the configured --retention-days', async () => {
      const { notification } = await fanOut(store, 'chores', 15, T0);
      await deliverAll(store, T0 + 1000);
      let now = T0 + 1000 + 2 * DAY_MS;
      const background = new BackgroundTasks({ store, config: { retentionDays: 3 } as ServiceConfig, now: () => new Date(now) } as ServiceContext, () => {});
      assert.equal((await background.retainNow()).deleted, 0, 'two days in: kept');
      now += 1 * DAY_MS + 1;
      assert.equal((await background.retainNow()).deleted, 15, 'past three days: folded');
      assert.equal(await remainingRows(store, notification.seq), 0);
    });

    it('stops a pass after maxRows and finishes in the next one', async () => {
      const { tenant, notification } = await fanOut(store, 'bounded', 120, T0);
      await deliverAll(store, T0 + 1000);
      const now = T0 + 1000 + WINDOW + 1;
      const first = await runRetention(store, { holder: 'a', retentionMs: WINDOW, now, batchRows: 25, maxRows: 50 });
      assert.deepEqual(first, { ran: true, deleted: 50, expired: 0 });
      assert.equal(await remainingRows(store, notification.seq), 70);
      const midway = await notificationReport(ctx, tenant.id, notification.id, { limit: 1 });
      assert.equal(midway.counts.delivered, 120, 'half-folded counts are still whole');
      const second = await runRetention(store, { holder: 'a', retentionMs: WINDOW, now, batchRows: 25 });
      assert.deepEqual(second, { ran: true, deleted: 70, expired: 1 });
    });
  });
}
