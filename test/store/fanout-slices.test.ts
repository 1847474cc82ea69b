// An `all` fan-out is queued in slices (README: Design, "The queue and the results"): the
// creation queues the first, the feeder the rest as the queue drains, each device exactly once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRetention } from '../../src/delivery/retention.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { notificationReport } from '../../src/service/notifications.ts';
import type { DeliveryUpdate } from '../../src/store/deliveries.ts';
import { fanoutSlice } from '../../src/store/fanout-slices.ts';
import type { Notification } from '../../src/store/notifications.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { backends } from '../fixtures/backends.ts';
import { atEnd } from '../fixtures/pki.ts';

// Small slices: a fan-out of a few dozen devices is several slices.
const SLICE = 10;
process.env.CERTPUSH_FANOUT_SLICE = String(SLICE);

const REGISTERED = 1000;
const CREATED = 2000;

async function tenantWithDevices(store: Store, name: string, devices: number, at = REGISTERED) {
  const tenant = await store.tenants.create(name, at);
  await store.devices.upsertMany(tenant.id, Array.from({ length: devices }, (_, i) => ({ platform: 'mdm' as const, token: `${name}-${i}-`.padEnd(64, '0'), pushMagic: 'pm' })), at);
  return tenant;
}

function sendAll(store: Store, tenantId: string, now = CREATED): Promise<Notification> {
  return store.notifications.create({ tenantId, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, now);
}

async function queuedOf(store: Store, seq: number): Promise<string[]> {
  const rows = await store.database.db.selectFrom('deliveryQueue').select('deviceId').where('notificationSeq', '=', seq).execute();
  return rows.map((r) => r.deviceId);
}

async function resultsOf(store: Store, seq: number): Promise<Array<{ deviceId: string; state: number }>> {
  return store.database.db.selectFrom('deliveryResults').select(['deviceId', 'state']).where('notificationSeq', '=', seq).execute();
}

/** The report's counts summed, and its total. */
async function reportTotals(store: Store, n: Notification) {
  const report = await notificationReport({ store } as ServiceContext, n.tenantId, n.id, { limit: 1 });
  const { retrying, ...counts } = report.counts;
  return { total: report.total, counted: Object.values(counts).reduce((a, b) => a + b, 0), counts: report.counts, completed: report.completedAt !== null };
}

/**
 * One round of the delivery engine, by hand: claim, record an outcome for each row as the worker
 * would (a deleted device rejected, an invalid one invalid, the rest delivered), then feed.
 */
async function round(store: Store, limit: number, now: number): Promise<number> {
  const rows = await store.deliveries.claim({ workerId: 'w', limit, leaseMs: 60_000, now });
  const updates: DeliveryUpdate[] = rows.map((r) => (r.platform === null
    ? { id: r.id, state: 'rejected', lastClass: 'rejected', lastStatus: null, lastReason: 'DeviceDeleted' }
    : r.deviceInvalidAt !== null
      ? { id: r.id, state: 'invalid', lastClass: 'invalid', lastStatus: null, lastReason: 'DeviceInvalid' }
      : { id: r.id, state: 'delivered', lastClass: 'delivered', lastStatus: 200, lastReason: null }));
  await store.deliveries.finish(updates, now);
  await store.notifications.feed([...new Set(rows.map((r) => r.notificationId))], now);
  await store.notifications.completeFinished([...new Set(rows.map((r) => r.notificationId))], now);
  return rows.length;
}

for (const backend of await backends()) {
  describe(`fan-out slices on ${backend.name}`, { skip: backend.skip }, () => {
    it('reads its slice size from CERTPUSH_FANOUT_SLICE, and refuses one that is no whole number of rows', () => {
      assert.equal(fanoutSlice({ CERTPUSH_FANOUT_SLICE: '64' }), 64);
      assert.equal(fanoutSlice({}), 2000);
      assert.throws(() => fanoutSlice({ CERTPUSH_FANOUT_SLICE: '1.5' }), /CERTPUSH_FANOUT_SLICE must be a whole number of rows from 2 to 1000000; got "1.5"/);
      assert.throws(() => fanoutSlice({ CERTPUSH_FANOUT_SLICE: '1' }), /CERTPUSH_FANOUT_SLICE/);
    });

    it('queues the first slice at the creation, answers the whole total at once, and keeps a cursor for the rest', async () => {
      const store = await backend.open();
      const tenant = await tenantWithDevices(store, 'first', 55);
      const n = await sendAll(store, tenant.id);
      assert.equal(n.total, 55);
      assert.equal(n.fed, SLICE);
      assert.equal(n.completedAt, null);
      const queued = (await queuedOf(store, n.seq)).sort();
      assert.equal(queued.length, SLICE);
      assert.equal(n.feedCursor, queued.at(-1), 'the cursor is the last device id queued');
      // The first slice is the first devices in id order.
      const ids = (await store.devices.list(tenant.id, { limit: 100 })).map((d) => d.id).sort();
      assert.deepEqual(queued, ids.slice(0, SLICE));
    });

    it('queues a fan-out that fits in one slice whole, with no cursor', async () => {
      const store = await backend.open();
      const tenant = await tenantWithDevices(store, 'small', SLICE - 1);
      const n = await sendAll(store, tenant.id);
      assert.equal(n.total, SLICE - 1);
      assert.equal(n.feedCursor, null);
      assert.equal((await queuedOf(store, n.seq)).length, SLICE - 1);
    });

    it('delivers a fan-out of several slices to every device exactly once, never holding more than a slice and a half queued, with totals that add up at every step', async () => {
      const store = await backend.open();
      const tenant = await tenantWithDevices(store, 'many', 57);
      const n = await sendAll(store, tenant.id);
      let most = 0;
      for (let now = CREATED + 1; ; now++) {
        most = Math.max(most, (await queuedOf(store, n.seq)).length);
        const totals = await reportTotals(store, n);
        assert.equal(totals.counted, totals.total, `the counts add up to the total at ${now}: ${JSON.stringify(totals.counts)}`);
        if (totals.completed) break;
        await round(store, 4, now);
        assert.ok(now < CREATED + 100, 'the fan-out completes');
      }
      assert.ok(most <= SLICE * 1.5, `at most ${SLICE * 1.5} rows queued at once, saw ${most}`);
      const results = await resultsOf(store, n.seq);
      assert.equal(results.length, 57);
      assert.equal(new Set(results.map((r) => r.deviceId)).size, 57, 'no device twice');
      const final = await reportTotals(store, n);
      assert.equal(final.total, 57);
      assert.equal(final.counts.delivered, 57);
    });

    it('does not feed a device registered after the creation', async () => {
      const store = await backend.open();
      const tenant = await tenantWithDevices(store, 'late', 25);
      const n = await sendAll(store, tenant.id);
      // Registered after the notification: ids are random, so some fall before the cursor and some after.
      await store.devices.upsertMany(tenant.id, Array.from({ length: 20 }, (_, i) => ({ platform: 'mdm' as const, token: `late-new-${i}-`.padEnd(64, '1'), pushMagic: 'pm' })), CREATED + 1);
      for (let now = CREATED + 2; !(await reportTotals(store, n)).completed; now++) {
        await round(store, 7, now);
        assert.ok(now < CREATED + 100, 'the fan-out completes');
      }
      const newIds = new Set((await store.devices.list(tenant.id, { limit: 100 })).filter((d) => d.createdAt > CREATED).map((d) => d.id));
      assert.equal(newIds.size, 20);
      const results = await resultsOf(store, n.seq);
      assert.equal(results.length, 25);
      assert.deepEqual(results.filter((r) => newIds.has(r.deviceId)), []);
      assert.equal((await reportTotals(store, n)).total, 25);
    });

    it('skips a device deleted before its slice (correcting the total) and records one invalidated since as invalid; the totals add up and it completes', async () => {
      const store = await backend.open();
      const tenant = await tenantWithDevices(store, 'gone', 30);
      const n = await sendAll(store, tenant.id);
      const queued = new Set(await queuedOf(store, n.seq));
      const unfed = (await store.devices.list(tenant.id, { limit: 100 })).map((d) => d.id).filter((id) => !queued.has(id)).sort();
      assert.equal(unfed.length, 20);
      for (const id of unfed.slice(-3)) assert.equal(await store.devices.remove(tenant.id, id), true);
      await store.devices.markInvalid(unfed.slice(0, 2).map((deviceId) => ({ tenantId: tenant.id, deviceId })), 'Unregistered', CREATED + 1);
      let totals = await reportTotals(store, n);
      assert.deepEqual([totals.total, totals.counted], [30, 30], 'not fed yet: still counted as pending');
      for (let now = CREATED + 2; !totals.completed; now++) {
        await round(store, 6, now);
        totals = await reportTotals(store, n);
        assert.equal(totals.counted, totals.total, `the counts add up to the total at ${now}: ${JSON.stringify(totals.counts)}`);
        assert.ok(now < CREATED + 100, 'the fan-out completes');
      }
      assert.equal(totals.total, 27, 'the deleted devices are not in the total once feeding ended');
      assert.deepEqual({ delivered: totals.counts.delivered, invalid: totals.counts.invalid, pending: totals.counts.pending }, { delivered: 25, invalid: 2, pending: 0 });
    });

    it('does not complete a notification whose queue is empty while members are still to be fed', async () => {
      const store = await backend.open();
      const tenant = await tenantWithDevices(store, 'empty-queue', 15);
      const n = await sendAll(store, tenant.id);
      const rows = await store.deliveries.claim({ workerId: 'w', limit: 100, leaseMs: 60_000, now: CREATED + 1 });
      assert.equal(rows.length, SLICE);
      await store.deliveries.finish(rows.map((r) => ({ id: r.id, state: 'delivered', lastClass: 'delivered', lastStatus: 200, lastReason: null })), CREATED + 1);
      assert.deepEqual(await store.notifications.completeFinished([n.id], CREATED + 1), []);
      assert.deepEqual((await reportTotals(store, n)).counts.pending, 5);
      // Nobody fed it after that batch (its worker died): the next empty claim's feed finds it.
      assert.deepEqual(await store.notifications.feed(undefined, CREATED + 2), { queued: 5, ended: [n.id] });
      assert.equal((await queuedOf(store, n.seq)).length, 5);
      assert.deepEqual(await store.notifications.feed(undefined, CREATED + 2), { queued: 0, ended: [] }, 'fully queued: nothing more to feed');
    });

    it('does not feed a notification with half a slice or more still queued', async () => {
      const store = await backend.open();
      const tenant = await tenantWithDevices(store, 'half', 40);
      const n = await sendAll(store, tenant.id);
      const rows = await store.deliveries.claim({ workerId: 'w', limit: SLICE / 2 + 1, leaseMs: 60_000, now: CREATED + 1 });
      await store.deliveries.finish(rows.slice(0, SLICE / 2).map((r) => ({ id: r.id, state: 'delivered', lastClass: 'delivered', lastStatus: 200, lastReason: null })), CREATED + 1);
      assert.deepEqual(await store.notifications.feed([n.id], CREATED + 1), { queued: 0, ended: [] }, `${SLICE / 2} still queued (one of them claimed)`);
      await store.deliveries.finish([{ id: rows.at(-1)!.id, state: 'delivered', lastClass: 'delivered', lastStatus: 200, lastReason: null }], CREATED + 1);
      assert.deepEqual(await store.notifications.feed([n.id], CREATED + 1), { queued: SLICE, ended: [] });
    });

    it('queues each device once when two feeders top up the same notification at once', async () => {
      const store = await backend.open();
      const tenant = await tenantWithDevices(store, 'race', 100);
      const n = await sendAll(store, tenant.id);
      for (let now = CREATED + 1; !(await reportTotals(store, n)).completed; now++) {
        const rows = await store.deliveries.claim({ workerId: 'w', limit: 100, leaseMs: 60_000, now });
        await store.deliveries.finish(rows.map((r) => ({ id: r.id, state: 'delivered', lastClass: 'delivered', lastStatus: 200, lastReason: null })), now);
        // Both see the queue empty and the same cursor; one of them queues the slice.
        const [a, b] = await Promise.all([store.notifications.feed([n.id], now), store.notifications.feed([n.id], now)]);
        assert.ok(a.queued + b.queued <= SLICE, `one slice between them, got ${a.queued} + ${b.queued}`);
        await store.notifications.completeFinished([n.id], now);
        assert.ok(now < CREATED + 100, 'the fan-out completes');
      }
      const results = await resultsOf(store, n.seq);
      assert.equal(results.length, 100);
      assert.equal(new Set(results.map((r) => r.deviceId)).size, 100);
    });

    it('resumes from the durable cursor in another store after the first stopped between slices', async () => {
      const location = await backend.location();
      const first = await openStore(location);
      const tenant = await tenantWithDevices(first, 'resume', 35);
      const n = await sendAll(first, tenant.id);
      await round(first, 100, CREATED + 1);
      await round(first, 100, CREATED + 2);
      await first.close();
      const second = await openStore(location);
      atEnd(() => second.close());
      for (let now = CREATED + 3; !(await reportTotals(second, n)).completed; now++) {
        if (await round(second, 100, now) === 0) await second.notifications.feed(undefined, now);
        assert.ok(now < CREATED + 100, 'the fan-out completes');
      }
      const results = await resultsOf(second, n.seq);
      assert.equal(results.length, 35);
      assert.equal(new Set(results.map((r) => r.deviceId)).size, 35);
    });

    it('never folds a notification still being fed, even one marked complete by mistake', async () => {
      const store = await backend.open();
      const tenant = await tenantWithDevices(store, 'retained', 25);
      const n = await sendAll(store, tenant.id);
      await round(store, 100, CREATED + 1);
      assert.equal((await resultsOf(store, n.seq)).length, SLICE);
      assert.equal((await runRetention(store, { holder: 'r', retentionMs: 0, now: CREATED + 10_000 })).deleted, 0);
      await store.database.db.updateTable('notifications').set({ completedAt: CREATED + 1 }).where('id', '=', n.id).execute();
      assert.equal((await runRetention(store, { holder: 'r', retentionMs: 0, now: CREATED + 10_000 })).deleted, 0);
      assert.equal((await resultsOf(store, n.seq)).length, SLICE);
    });
  });
}
