import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../fixtures/backends.ts';

for (const backend of await backends()) {
  describe(`creating a notification on ${backend.name}`, { skip: backend.skip }, () => {
    it('records its audit entry, with the total the database counted, in the same transaction, and wakes the workers once', async () => {
      const store = await backend.open();
      const tenant = await store.tenants.create('Audited');
      await store.devices.upsertMany(tenant.id, Array.from({ length: 3 }, (_, i) => ({ platform: 'mdm' as const, token: `${i}`.padStart(64, 'c'), pushMagic: 'pm' })));
      let wakes = 0;
      const stop = store.queue.subscribe(() => wakes++);
      // PostgreSQL's LISTEN connection wakes every subscriber once when it comes up: wait for it.
      for (let i = 0; i < 100 && !store.queue.listening; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 100));
      wakes = 0;
      const n = await store.notifications.create({ tenantId: tenant.id, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 5000, {
        audit: { actor: 'operator:key_1', action: 'notification.sent', detail: { platforms: ['mdm'], note: `it's "quoted" \\ too` } },
        queue: store.queue,
      });
      assert.equal(n.total, 3);
      assert.equal(n.createdAt, 5000);
      assert.equal(n.completedAt, null);
      const [entry] = await store.audit.list(tenant.id);
      assert.equal(entry!.action, 'notification.sent');
      assert.equal(entry!.actor, 'operator:key_1');
      assert.deepEqual(entry!.detail, { notificationId: n.id, total: 3, platforms: ['mdm'], note: `it's "quoted" \\ too` });
      for (let i = 0; i < 100 && wakes === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(wakes, 1);
      stop();
    });

    it('queues each send for its own devices, whether its shape was compiled before (up to 8 ids) or is compiled for itself', async () => {
      const store = await backend.open();
      const tenants = [await store.tenants.create('First'), await store.tenants.create('Second')];
      const devices = await Promise.all(tenants.map((t, n) => store.devices.upsertMany(t.id, Array.from({ length: 12 }, (_, i) => ({ platform: 'mdm' as const, token: `${n}${i}`.padStart(64, 'd'), pushMagic: 'pm' })))));
      // The same shapes twice over, with other tenants, devices, keys and times: nothing of a
      // first call may stay in the statements of the next.
      for (const count of [1, 8, 9, 1, 8, 9]) {
        for (const [n, tenant] of tenants.entries()) {
          const ids = devices[n]!.slice(0, count).map((d) => d.id);
          const at = 1000 + count * 10 + n;
          const created = await store.notifications.create({ tenantId: tenant.id, idempotencyKey: `k${count}-${n}-${at}-${Math.random()}`, requestHash: `h${count}`, payload: `{"n":${count}}`, expiresAt: at + 60_000, platforms: ['mdm'], devices: ids }, at, { audit: { actor: `a${n}`, action: 'notification.sent', detail: { count } } });
          assert.equal(created.total, count);
          assert.equal(created.tenantId, tenant.id);
          assert.equal(created.createdAt, at);
          assert.equal(created.expiresAt, at + 60_000);
          assert.equal(created.payload, `{"n":${count}}`);
          const queued = await store.notifications.results(created.seq, 0, 50);
          assert.deepEqual(queued.map((r) => r.deviceId).sort(), [...ids].sort());
          const entry = (await store.audit.list(tenant.id)).find((e) => (e.detail as { notificationId?: string }).notificationId === created.id);
          assert.deepEqual(entry?.detail, { notificationId: created.id, total: count, count });
          assert.equal(entry?.actor, `a${n}`);
        }
      }
    });

    it('rolls the audit entry back with the notification when the transaction fails', async () => {
      const store = await backend.open();
      const tenant = await store.tenants.create('Refused');
      const input = { tenantId: tenant.id, idempotencyKey: 'same', requestHash: 'h', payload: '{}', expiresAt: null, platforms: ['mdm' as const], devices: 'all' as const };
      const audit = { actor: 'cli', action: 'notification.sent' };
      await store.notifications.create(input, 1000, { audit });
      await assert.rejects(store.notifications.create(input, 2000, { audit }), /unique|duplicate/i);
      assert.equal((await store.audit.list(tenant.id)).length, 1);
    });
  });
}
