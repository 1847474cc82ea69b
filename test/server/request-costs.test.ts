// What a request costs the database, and what it must still see: a key found live is
// remembered for API_KEY_CACHE_MS (a revocation through the store ends it at once, one made
// elsewhere within the bound), a tenant seen once is known to exist, and a device page carries
// the tenant's counts from the same statement.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { resolveConfig } from '../../src/config.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { listDevicesJson } from '../../src/service/devices.ts';
import { deviceView } from '../../src/server/views.ts';
import { requireTenantExists } from '../../src/service/tenants.ts';
import { API_KEY_CACHE_MS, apiKeysRepository } from '../../src/store/api-keys.ts';
import type { TenantsRole } from '../../src/store/roles/tenants.ts';
import { createSecretBox } from '../../src/store/secret-box.ts';
import type { Store } from '../../src/store/store.ts';
import { backends } from '../fixtures/backends.ts';

function contextOver<S>(store: S): ServiceContext<S> {
  return {
    store, secrets: createSecretBox(crypto.randomBytes(32)), config: resolveConfig({}, {}), signer: null,
    extraCa: [], appleRoot: null, mpnsRoots: [], now: () => new Date(1_800_000_000_000),
  };
}

for (const backend of await backends()) {
  describe(`request costs on ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    before(async () => {
      store = await backend.open();
    });

    it('refuses a revoked key at once in the process that revoked it, though the key was just used', async () => {
      const tenant = await store.tenants.create('Revoke Now');
      const { key, record } = await store.apiKeys.create(tenant.id, 'ci');
      assert.equal((await store.apiKeys.authenticate(key))?.id, record.id);
      assert.equal((await store.apiKeys.authenticate(key))?.id, record.id);
      assert.equal((await store.apiKeys.revoke(record.id, tenant.id))?.id, record.id);
      assert.equal(await store.apiKeys.authenticate(key), undefined);
    });

    it('refuses a key revoked elsewhere once the cache bound has passed, and not before', async () => {
      let now = 1_000_000;
      // This process's view of the keys, with its own clock; the store's repository stands for
      // another process revoking the key in the same database.
      const here = apiKeysRepository(store.database.db, { now: () => now });
      const tenant = await store.tenants.create('Revoke Elsewhere');
      const { key, record } = await store.apiKeys.create(tenant.id, 'ci');
      assert.equal((await here.authenticate(key))?.id, record.id);
      await store.apiKeys.revoke(record.id, tenant.id);
      now += API_KEY_CACHE_MS - 1;
      assert.equal((await here.authenticate(key))?.id, record.id, 'within the bound the remembered key still answers');
      now += 1;
      assert.equal(await here.authenticate(key), undefined);
    });

    it('never remembers an unknown key: one created elsewhere works at once', async () => {
      const here = apiKeysRepository(store.database.db, { now: () => 0 });
      const key = `cpk_${crypto.randomBytes(32).toString('base64url')}`;
      assert.equal(await here.authenticate(key), undefined);
      const record = await store.apiKeys.install(key, null, 'installed elsewhere');
      assert.equal((await here.authenticate(key))?.id, record.id);
    });

    it('answers a burst of requests with one key alike, with a record no request can change', async () => {
      const { key, record } = await store.apiKeys.create(null, 'burst');
      const here = apiKeysRepository(store.database.db);
      const found = await Promise.all(Array.from({ length: 20 }, () => here.authenticate(key)));
      assert.ok(found.every((k) => k?.id === record.id));
      assert.ok(Object.isFrozen(found[0]), 'the shared record cannot be changed by one request');
    });

    it('knows a tenant exists after seeing it once, and still says 404 for one it has never seen', async () => {
      let asked = 0;
      const tenants: TenantsRole['tenants'] = { ...store.tenants, get: (id) => { asked++; return store.tenants.get(id); } };
      const ctx = contextOver({ tenants });
      const tenant = await store.tenants.create('Known Once');
      await requireTenantExists(ctx, tenant.id);
      await requireTenantExists(ctx, tenant.id);
      assert.equal(asked, 1);
      await assert.rejects(requireTenantExists(ctx, 'ten_missing'), (error: Error & { code?: string }) => error.code === 'NOT_FOUND');
      await assert.rejects(requireTenantExists(ctx, 'ten_missing'), (error: Error & { code?: string }) => error.code === 'NOT_FOUND');
      assert.equal(asked, 3);
    });

    it('gives each device page the tenant\'s counts, filtered or not, and on a page past the end', async () => {
      const tenant = await store.tenants.create('Counted Pages');
      const other = await store.tenants.create('Other Pages');
      const devices = await store.devices.upsertMany(tenant.id, Array.from({ length: 7 }, (_, i) => ({ platform: 'mdm' as const, token: `${i}`.padStart(64, 'a'), pushMagic: `pm-${i}` })));
      await store.devices.upsertMany(other.id, [{ platform: 'mdm', token: 'b'.repeat(64), pushMagic: 'pm' }]);
      await store.devices.markInvalid([devices[2]!, devices[5]!].map((d) => ({ tenantId: tenant.id, deviceId: d.id })), 'Unregistered');
      const ctx = contextOver(store);
      type Page = { items: Array<{ id: string }>; nextCursor: string | null; total: { total: number; invalid: number } };
      const listDevices = async (tenantId: string, filter: Parameters<typeof listDevicesJson>[2]) => JSON.parse(await listDevicesJson(ctx, tenantId, filter)) as Page;
      const first = await listDevices(tenant.id, { limit: 3 });
      assert.deepEqual(first.total, { total: 7, invalid: 2 });
      assert.deepEqual(first.items, (await store.devices.list(tenant.id, { limit: 3 })).map(deviceView), 'the same rows as the listing without counts');
      assert.equal(first.nextCursor, first.items.at(-1)!.id);
      const rest = await listDevices(tenant.id, { limit: 10, after: first.nextCursor! });
      assert.equal(rest.items.length, 4);
      assert.equal(rest.nextCursor, null);
      assert.deepEqual(rest.total, { total: 7, invalid: 2 });
      const invalid = await listDevices(tenant.id, { limit: 10, status: 'invalid' });
      assert.deepEqual(invalid.items.map((d) => d.id).sort(), [devices[2]!.id, devices[5]!.id].sort());
      assert.deepEqual(invalid.total, { total: 7, invalid: 2 }, 'the counts are the tenant\'s, not the filter\'s');
      const past = await listDevices(tenant.id, { limit: 10, after: rest.items.at(-1)!.id });
      assert.deepEqual(past, { items: [], nextCursor: null, total: { total: 7, invalid: 2 } });
    });
  });
}
