import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { backends } from '../fixtures/backends.ts';

// The one repository interface, specified once and run on SQLite and on PostgreSQL.
for (const backend of await backends()) {
  describe(`store on ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    const fresh = async () => (store = await backend.open());

    it('creates tenants with unique names', async () => {
      await fresh();
      const a = await store.tenants.create('Acme');
      assert.match(a.id, /^ten_/);
      assert.deepEqual(await store.tenants.get(a.id), a);
      await assert.rejects(store.tenants.create('Acme'));
      assert.deepEqual((await store.tenants.list()).map((t) => t.name), ['Acme']);
    });

    it('stores API keys hashed and authenticates only live keys', async () => {
      const tenant = await store.tenants.create('Keys Inc');
      const { key, record } = await store.apiKeys.create(tenant.id, 'ci');
      assert.match(key, /^cpk_[A-Za-z0-9_-]{43}$/);
      assert.equal((await store.apiKeys.authenticate(key))?.id, record.id);
      assert.equal(await store.apiKeys.authenticate(`${key}x`), undefined);
      const raw = await store.database.db.selectFrom('apiKeys').selectAll().where('id', '=', record.id).executeTakeFirstOrThrow();
      assert.notEqual(raw.hash, key);
      assert.ok(!JSON.stringify(raw).includes(key.slice(4)), 'the plaintext key is not stored');
      assert.equal((await store.apiKeys.revoke(record.id, tenant.id))?.id, record.id);
      assert.equal(await store.apiKeys.authenticate(key), undefined);
    });

    it('upserts devices by tenant, platform and token, and re-activates an invalidated one', async () => {
      const tenant = await store.tenants.create('Devices Co');
      const [first] = await store.devices.upsertMany(tenant.id, [{ platform: 'mdm', token: 'aa'.repeat(32), pushMagic: 'magic-1' }]);
      await store.devices.markInvalid([{ tenantId: tenant.id, deviceId: first!.id }], 'Unregistered', 1000);
      assert.equal((await store.devices.get(tenant.id, first!.id))?.invalidReason, 'Unregistered');
      const [again] = await store.devices.upsertMany(tenant.id, [{ platform: 'mdm', token: 'aa'.repeat(32), pushMagic: 'magic-2' }]);
      assert.equal(again!.id, first!.id);
      assert.equal(again!.pushMagic, 'magic-2');
      assert.equal(again!.invalidAt, null);
    });

    it('keeps tenants\' devices apart', async () => {
      const a = await store.tenants.create('A devices');
      const b = await store.tenants.create('B devices');
      const [device] = await store.devices.upsertMany(a.id, [{ platform: 'apns', token: 'bb'.repeat(32), topic: 'com.example' }]);
      assert.equal(await store.devices.get(b.id, device!.id), undefined);
      assert.equal(await store.devices.remove(b.id, device!.id), false);
      assert.deepEqual(await store.devices.existing(b.id, [device!.id]), []);
    });

    it('pages devices with a cursor and filters them', async () => {
      const tenant = await store.tenants.create('Paging');
      const tokens = Array.from({ length: 25 }, (_, i) => i.toString(16).padStart(64, '0'));
      await store.devices.upsertMany(tenant.id, tokens.map((token) => ({ platform: 'mdm' as const, token, pushMagic: 'm' })));
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.devices.list(tenant.id, { limit: 10, after });
        seen.push(...page.map((d) => d.token));
        if (page.length < 10) break;
        after = page.at(-1)!.id;
      }
      assert.deepEqual(seen.sort(), tokens.sort());
      assert.equal((await store.devices.list(tenant.id, { limit: 100, search: tokens[3]!.slice(-4) })).length, 1);
      assert.deepEqual(await store.devices.count(tenant.id), { total: 25, invalid: 0 });
    });

    it('fans a notification out into one pending delivery per active device of its platforms', async () => {
      const tenant = await store.tenants.create('Fanout');
      const devices = await store.devices.upsertMany(tenant.id, [
        ...Array.from({ length: 1200 }, (_, i) => ({ platform: 'mdm' as const, token: `${i.toString(16).padStart(63, '0')}a`, pushMagic: `pm${i}` })),
        { platform: 'mpns' as const, token: 'https://db3.notify.live.net/throttledthirdparty/01.00/abc' },
      ]);
      await store.devices.markInvalid([{ tenantId: tenant.id, deviceId: devices[0]!.id }], 'Unregistered');
      const n = await store.notifications.create({ tenantId: tenant.id, idempotencyKey: 'k1', requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' });
      assert.equal(n.total, 1199);
      assert.deepEqual(await store.notifications.counts(n.seq), [{ state: 'pending', lastClass: null, n: 1199 }]);
      assert.equal((await store.notifications.byIdempotencyKey(tenant.id, 'k1'))?.id, n.id);
    });

    it('completes a notification with no devices at once', async () => {
      const tenant = await store.tenants.create('Empty');
      const n = await store.notifications.create({ tenantId: tenant.id, idempotencyKey: null, requestHash: 'h', payload: '{}', expiresAt: null, platforms: ['apns'], devices: 'all' });
      assert.equal(n.total, 0);
      assert.notEqual(n.completedAt, null);
    });

    it('claims due rows under a lease, shares a claim between tenants, and records outcomes', async () => {
      const big = await store.tenants.create('Big');
      const small = await store.tenants.create('Small');
      await store.devices.upsertMany(big.id, Array.from({ length: 300 }, (_, i) => ({ platform: 'mdm' as const, token: `${i.toString(16).padStart(63, '0')}b`, pushMagic: 'x' })));
      await store.devices.upsertMany(small.id, [{ platform: 'mdm', token: 's'.padEnd(64, '0'), pushMagic: 'y' }]);
      const backlogBefore = await store.deliveries.backlog();
      const nb = await store.notifications.create({ tenantId: big.id, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 1000);
      const ns = await store.notifications.create({ tenantId: small.id, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 2000);

      const claimed = await store.deliveries.claim({ workerId: 'w1', limit: 50, leaseMs: 60_000, now: 5000 });
      assert.ok(claimed.some((d) => d.tenantId === small.id), 'the small tenant is served in the first claim');
      assert.ok(claimed.length <= 51);
      assert.equal(claimed.find((d) => d.tenantId === small.id)?.pushMagic, 'y');

      // Leased rows are not claimed again until the lease ends.
      const second = await store.deliveries.claim({ workerId: 'w2', limit: 1000, leaseMs: 60_000, now: 6000 });
      const firstIds = new Set(claimed.map((d) => d.id));
      assert.ok(second.every((d) => !firstIds.has(d.id)));
      assert.equal(claimed.length + second.length, 301);
      assert.deepEqual(await store.deliveries.claim({ workerId: 'w3', limit: 1000, leaseMs: 60_000, now: 7000 }), []);

      // An expired lease makes rows due again (a worker died).
      const recovered = await store.deliveries.claim({ workerId: 'w3', limit: 1000, leaseMs: 60_000, now: 70_000 });
      assert.equal(recovered.length, 301);

      await store.deliveries.finish(recovered.map((d) => ({ id: d.id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), 80_000);
      const done = await store.notifications.completeFinished([nb.id, ns.id], 80_000);
      assert.deepEqual(done.map((n) => n.id).sort(), [nb.id, ns.id].sort());
      assert.deepEqual(await store.notifications.counts(ns.seq), [{ state: 'delivered', lastClass: 'delivered', n: 1 }]);
      assert.equal(await store.deliveries.backlog(), backlogBefore);
    });

    it('gives what a tenant leaves of its share of a claim to the tenants that have more', async () => {
      const plenty = await store.tenants.create('Plenty');
      const scarce = await store.tenants.create('Scarce');
      await store.devices.upsertMany(plenty.id, Array.from({ length: 300 }, (_, i) => ({ platform: 'mdm' as const, token: `${i.toString(16).padStart(63, '0')}c`, pushMagic: 'x' })));
      await store.devices.upsertMany(scarce.id, [{ platform: 'mdm', token: 't'.padEnd(64, '0'), pushMagic: 'y' }]);
      await store.notifications.create({ tenantId: plenty.id, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 1000);
      await store.notifications.create({ tenantId: scarce.id, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 2000);

      // Shares of 50: the scarce tenant's one row, and the other 49 of its share go to the tenant with plenty.
      const claimed = await store.deliveries.claim({ workerId: 'w1', limit: 100, leaseMs: 60_000, now: 5000 });
      assert.equal(claimed.filter((d) => d.tenantId === scarce.id).length, 1);
      assert.equal(claimed.filter((d) => d.tenantId === plenty.id).length, 99);
      assert.equal(new Set(claimed.map((d) => d.id)).size, 100, 'no row is claimed twice');
      assert.deepEqual(claimed.map((d) => d.id), claimed.map((d) => d.id).toSorted((a, b) => a - b), 'in id order');
      assert.ok(claimed.every((d) => d.pushMagic !== null && d.notificationId), 'each with what sending it needs');

      // The rest, and then nothing left for the tests after this one.
      const rest = await store.deliveries.claim({ workerId: 'w1', limit: 1000, leaseMs: 60_000, now: 6000 });
      assert.equal(rest.length, 201);
      await store.deliveries.finish([...claimed, ...rest].map((d) => ({ id: d.id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), 7000);
    });

    it('does not claim rows of excluded (paused) tenants', async () => {
      const paused = await store.tenants.create('Paused');
      await store.devices.upsertMany(paused.id, [{ platform: 'mdm', token: 'p'.padEnd(64, '0'), pushMagic: 'z' }]);
      await store.notifications.create({ tenantId: paused.id, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 1000);
      assert.deepEqual(await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 1000, now: 2000, excludeTenants: new Set([paused.id]) }), []);
      assert.equal((await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 1000, now: 2000 })).length, 1);
    });

    it('writes and reads the audit log per tenant', async () => {
      const tenant = await store.tenants.create('Audited');
      await store.audit.record({ tenantId: tenant.id, actor: 'tenant:key_1', action: 'mdm.csr.created', detail: { subject: 'CN=x' } });
      const [entry] = await store.audit.list(tenant.id);
      assert.equal(entry?.action, 'mdm.csr.created');
      assert.deepEqual(entry?.detail, { subject: 'CN=x' });
    });

    it('upserts a device listed twice in one batch once, the last entry winning', async () => {
      const tenant = await store.tenants.create('Dupes');
      const rows = await store.devices.upsertMany(tenant.id, [
        { platform: 'mdm', token: 'cc'.repeat(32), pushMagic: 'first' },
        { platform: 'mdm', token: 'cc'.repeat(32), pushMagic: 'second' },
      ]);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.pushMagic, 'second');
    });

    it('counts MPNS quota per subscription and day, atomically, never past the limit', async () => {
      const takes = await Promise.all(Array.from({ length: 8 }, () => store.mpnsQuota.take('sub-a', '2026-11-22', 5)));
      assert.equal(takes.filter((t) => t.taken).length, 5);
      assert.deepEqual(takes.filter((t) => t.taken).map((t) => t.used).sort(), [1, 2, 3, 4, 5]);
      assert.deepEqual(await store.mpnsQuota.take('sub-a', '2026-11-22', 5), { taken: false, used: 5 });
      assert.deepEqual(await store.mpnsQuota.take('sub-a', '2026-11-23', 5), { taken: true, used: 1 }, 'a new UTC day starts again');
      await store.mpnsQuota.exhaust('sub-b', '2026-11-22', 5);
      assert.equal((await store.mpnsQuota.take('sub-b', '2026-11-22', 5)).taken, false, 'MPNS said 406: used up for the day');
      await store.mpnsQuota.prune('2026-11-23');
      assert.equal((await store.mpnsQuota.take('sub-a', '2026-11-22', 5)).taken, true, 'pruned days are forgotten');
    });

    it('keeps meta values', async () => {
      await store.setMeta('k', 'v1');
      await store.setMeta('k', 'v2');
      assert.equal(await store.getMeta('k'), 'v2');
    });
  });
}
