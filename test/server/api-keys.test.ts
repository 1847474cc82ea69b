// Listing and revoking a tenant's API keys over HTTP: what a customer whose key leaked needs.
// The list never carries a key or its hash; a revoked key is refused from the very next request
// in the process that revoked it (the key cache is forgotten as it revokes), and another
// tenant's key ids answer 404 exactly as unknown ones.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashApiKey } from '../../src/store/api-keys.ts';
import { backends } from '../fixtures/backends.ts';
import { startWorld, type World } from '../fixtures/service.ts';

for (const backend of await backends()) {
  describe(`API key listing and revocation on ${backend.name}`, { skip: backend.skip }, () => {
    let world: World;
    type Tenant = { tid: string; keys: Array<{ key: string; id: string }> };
    let a: Tenant;
    let b: Tenant;

    async function tenantWithKeys(name: string, labels: string[]): Promise<Tenant> {
      const created = await world.api(world.operatorKey, 'POST', '/v1/tenants', { name });
      assert.equal(created.status, 201);
      const keys = [];
      for (const label of labels) {
        const r = await world.api(world.operatorKey, 'POST', `/v1/tenants/${created.body.id}/api-keys`, { label });
        assert.equal(r.status, 201);
        keys.push({ key: r.body.key as string, id: r.body.id as string });
      }
      return { tid: created.body.id, keys };
    }

    async function keyWorks(key: string): Promise<number> {
      return (await world.api(key, 'GET', '/v1/whoami')).status;
    }

    it('lists a tenant\'s keys with id, label, prefix and dates, never the key or its hash', async () => {
      world = await startWorld(backend);
      a = await tenantWithKeys('Keys A', ['ci', 'laptop']);
      b = await tenantWithKeys('Keys B', ['ci']);
      for (const caller of [world.operatorKey, a.keys[0]!.key]) {
        const r = await world.api(caller, 'GET', `/v1/tenants/${a.tid}/api-keys`);
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.items.map((k: { id: string }) => k.id), a.keys.map((k) => k.id), 'the tenant\'s keys only, oldest first');
        for (const [i, item] of (r.body.items as Array<Record<string, unknown>>).entries()) {
          assert.deepEqual(Object.keys(item).sort(), ['createdAt', 'id', 'label', 'prefix', 'revokedAt']);
          assert.equal(item.label, ['ci', 'laptop'][i]);
          assert.ok(a.keys[i]!.key.startsWith(item.prefix as string));
          assert.ok((item.prefix as string).length < a.keys[i]!.key.length);
          assert.equal(item.revokedAt, null);
          assert.ok(!Number.isNaN(Date.parse(item.createdAt as string)));
        }
        const text = JSON.stringify(r.body);
        for (const { key } of a.keys) {
          assert.ok(!text.includes(key), 'no key in the list');
          assert.ok(!text.includes(hashApiKey(key)), 'no hash in the list');
        }
      }
    });

    it('answers 404 for another tenant\'s list, as for a tenant that does not exist', async () => {
      const other = await world.api(a.keys[0]!.key, 'GET', `/v1/tenants/${b.tid}/api-keys`);
      assert.equal(other.status, 404);
      assert.equal(other.body.code, 'NOT_FOUND');
      const missing = await world.api(world.operatorKey, 'GET', '/v1/tenants/ten_doesnotexist000000/api-keys');
      assert.equal(missing.status, 404);
    });

    it('answers 404 for another tenant\'s key id, whichever path it is asked on, and that key still works', async () => {
      const victim = b.keys[0]!;
      const attempts: Array<[string, string]> = [
        [a.keys[0]!.key, `/v1/tenants/${a.tid}/api-keys/${victim.id}`],
        [a.keys[0]!.key, `/v1/tenants/${b.tid}/api-keys/${victim.id}`],
        [world.operatorKey, `/v1/tenants/${a.tid}/api-keys/${victim.id}`],
        [a.keys[0]!.key, `/v1/tenants/${a.tid}/api-keys/key_doesnotexist0000`],
      ];
      for (const [caller, p] of attempts) {
        const r = await world.api(caller, 'DELETE', p);
        assert.equal(r.status, 404, p);
        assert.equal(r.body.code, 'NOT_FOUND');
      }
      assert.equal(await keyWorks(victim.key), 200);
      const listed = await world.api(world.operatorKey, 'GET', `/v1/tenants/${b.tid}/api-keys`);
      assert.equal(listed.body.items[0].revokedAt, null);
    });

    it('revokes a key: refused at once in this process, listed as revoked, and a second revocation is 404', async () => {
      const [user, leaked] = a.keys as [Tenant['keys'][0], Tenant['keys'][0]];
      // Used just now, so the process remembers it as live.
      assert.equal(await keyWorks(leaked.key), 200);
      const r = await world.api(user.key, 'DELETE', `/v1/tenants/${a.tid}/api-keys/${leaked.id}`);
      assert.equal(r.status, 204);
      assert.equal(r.body, null);
      const refused = await world.api(leaked.key, 'GET', '/v1/whoami');
      assert.equal(refused.status, 401);
      assert.equal(refused.body.code, 'AUTH_INVALID');
      assert.equal(await keyWorks(user.key), 200, 'the tenant\'s other key is untouched');
      const listed = await world.api(user.key, 'GET', `/v1/tenants/${a.tid}/api-keys`);
      const item = listed.body.items.find((k: { id: string }) => k.id === leaked.id);
      assert.ok(!Number.isNaN(Date.parse(item.revokedAt)), 'revokedAt is a date');
      const again = await world.api(user.key, 'DELETE', `/v1/tenants/${a.tid}/api-keys/${leaked.id}`);
      assert.equal(again.status, 404);
      assert.equal(again.body.code, 'NOT_FOUND');
    });

    it('lets the operator revoke a tenant\'s key, and a tenant revoke the key it is using', async () => {
      const [own] = b.keys as [Tenant['keys'][0]];
      const spare = (await world.api(world.operatorKey, 'POST', `/v1/tenants/${b.tid}/api-keys`, { label: 'spare' })).body as { key: string; id: string };
      assert.equal((await world.api(world.operatorKey, 'DELETE', `/v1/tenants/${b.tid}/api-keys/${spare.id}`)).status, 204);
      assert.equal(await keyWorks(spare.key), 401);
      assert.equal((await world.api(own.key, 'DELETE', `/v1/tenants/${b.tid}/api-keys/${own.id}`)).status, 204);
      assert.equal(await keyWorks(own.key), 401, 'the next request with the revoked key is refused');
      assert.equal(await keyWorks(world.operatorKey), 200);
    });

    it('records each revocation in the tenant\'s audit log, by whom', async () => {
      const audit = async (tid: string) => (await world.api(world.operatorKey, 'GET', `/v1/tenants/${tid}/audit`)).body.items as Array<{ actor: string; action: string; detail: { keyId?: string; label?: string } }>;
      const revokedA = (await audit(a.tid)).filter((e) => e.action === 'api-key.revoked');
      assert.deepEqual(revokedA.map((e) => [e.detail.keyId, e.detail.label]), [[a.keys[1]!.id, 'laptop']], 'one entry: the failed attempts wrote none');
      assert.match(revokedA[0]!.actor, new RegExp(a.keys[0]!.id));
      const revokedB = (await audit(b.tid)).filter((e) => e.action === 'api-key.revoked');
      assert.equal(revokedB.length, 2);
      assert.deepEqual(revokedB.map((e) => e.detail.label).sort(), ['ci', 'spare']);
    });
  });
}
