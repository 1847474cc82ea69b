import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../fixtures/backends.ts';
import { startWorld, type World } from '../fixtures/service.ts';

for (const backend of await backends()) {
  describe(`registering a webhook on ${backend.name}`, { skip: backend.skip }, () => {
    let world: World;
    let tid: string;
    let key: string;

    it('refuses a loopback, private, link-local or metadata target up front with 400, naming no resolved address', async () => {
      world = await startWorld(backend);
      tid = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'Hooked' })).body.id;
      key = (await world.api(world.operatorKey, 'POST', `/v1/tenants/${tid}/api-keys`, {})).body.key;
      // Literal addresses and localhost (from /etc/hosts): refused without any connection.
      for (const url of ['https://localhost/hook', 'https://127.0.0.1/hook', 'https://[::1]/hook', 'https://10.0.0.7/hook', 'https://192.168.1.1/hook', 'https://169.254.169.254/latest', 'https://[fd00::1]/hook', 'https://[::ffff:127.0.0.1]/hook']) {
        const r = await world.api(key, 'PUT', `/v1/tenants/${tid}/webhook`, { url });
        assert.equal(r.status, 400, `${url}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, 'WEBHOOK_ADDRESS_FORBIDDEN');
        assert.match(r.body.detail, /not a public address/);
        if (url.includes('localhost')) assert.doesNotMatch(r.body.detail, /127\.0\.0\.1|::1/, 'how localhost resolves is not revealed');
      }
      assert.equal((await world.api(key, 'GET', `/v1/tenants/${tid}/webhook`)).status, 404, 'nothing was registered');
    });

    it('refuses a NUL byte in the URL with 400 naming the field', async () => {
      const r = await world.api(key, 'PUT', `/v1/tenants/${tid}/webhook`, { url: 'https://example.com/ho\u0000ok' });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.code, 'REQUEST_NUL_BYTE');
      assert.match(r.body.detail, /body\/url/);
    });
  });
}
