import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issuePushCertificate } from '../../src/simulators/apple-portal.ts';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, eventually, startWorld, type World } from '../fixtures/service.ts';

// The whole journey through HTTP only, as a vendor's customer lives it: tenant → CSR → vendor
// signer → Apple's portal → import → devices → send → the simulators received each push once.
for (const backend of await backends()) {
  describe(`end to end on ${backend.name}`, { skip: backend.skip }, () => {
    let world: World;
    let tenantKey: string;
    let tid: string;
    let topic: string;

    it('an operator creates a tenant and gives it an API key', async () => {
      world = await startWorld(backend);
      const created = await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'Customer One' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      tid = created.body.id;
      const key = await world.api(world.operatorKey, 'POST', `/v1/tenants/${tid}/api-keys`, { label: 'mdm server' });
      assert.equal(key.status, 201);
      tenantKey = key.body.key;
    });

    it('the tenant gets a CSR made inside certpush, signed by the vendor signer, and Apple\'s certificate imports', async () => {
      const csr = await world.api(tenantKey, 'POST', `/v1/tenants/${tid}/mdm/csr`, { email: 'it@customer.test', org: 'Customer One', country: 'US' });
      assert.equal(csr.status, 201, JSON.stringify(csr.body));
      assert.equal(csr.body.state, 'awaiting-signature');
      assert.match(csr.body.csr, /^-----BEGIN CERTIFICATE REQUEST-----/);
      assert.doesNotMatch(JSON.stringify(csr.body), /PRIVATE KEY/);

      const signed = await world.api(tenantKey, 'POST', `/v1/tenants/${tid}/mdm/push-cert-request`);
      assert.equal(signed.status, 200, JSON.stringify(signed.body));
      assert.equal(signed.body.state, 'awaiting-apple');

      // The customer uploads the request to Apple (here: the portal stand-in) and gets a certificate.
      const apple = await issuePushCertificate(world.pki, signed.body.request);
      const imported = await world.api(tenantKey, 'PUT', `/v1/tenants/${tid}/mdm/push-cert`, { certificate: apple.cert });
      assert.equal(imported.status, 200, JSON.stringify(imported.body));
      assert.equal(imported.body.state, 'active');
      assert.equal(imported.body.topic, apple.topic);
      assert.ok(imported.body.daysLeft >= 364);
      topic = apple.topic;
    });

    it('1,000 MDM devices imported and pushed reach the APNs simulator exactly once each', async () => {
      const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i), pushMagic: `magic-${i}` }));
      const imported = await world.api(tenantKey, 'POST', `/v1/tenants/${tid}/devices:import`, lines.join('\n'), { 'content-type': 'application/x-ndjson' });
      assert.equal(imported.status, 200, JSON.stringify(imported.body));
      assert.equal(imported.body.imported, 1000);

      const sent = await world.api(tenantKey, 'POST', `/v1/tenants/${tid}/notifications`, { all: true, mdm: true }, { 'idempotency-key': 'first-push' });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      assert.equal(sent.body.total, 1000);
      const report = await eventually(async () => {
        const r = await world.api(tenantKey, 'GET', `/v1/tenants/${tid}/notifications/${sent.body.id}`);
        return r.body.completedAt ? r.body : undefined;
      }, 60_000, 'the MDM notification to complete');
      assert.equal(report.counts.delivered, 1000, JSON.stringify(report.counts));
      for (let i = 0; i < 1000; i++) {
        const got = world.apns.log.forToken(deviceToken(i));
        assert.equal(got.length, 1, `device ${i} received ${got.length} pushes`);
        assert.equal(got[0]!.topic, topic);
        assert.equal(got[0]!.pushType, 'mdm');
        assert.deepEqual(JSON.parse(got[0]!.payload), { mdm: `magic-${i}` });
      }
    });

    it('a retried request with the same Idempotency-Key sends nothing twice', async () => {
      const before = world.apns.log.count;
      const again = await world.api(tenantKey, 'POST', `/v1/tenants/${tid}/notifications`, { all: true, mdm: true }, { 'idempotency-key': 'first-push' });
      assert.equal(again.status, 202);
      assert.equal(again.body.replayed, true);
      const other = await world.api(tenantKey, 'POST', `/v1/tenants/${tid}/notifications`, { all: true, mdm: true, expiration: 4102444800 }, { 'idempotency-key': 'first-push' });
      assert.equal(other.status, 409);
      assert.equal(other.body.code, 'IDEMPOTENCY_KEY_REUSED');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(world.apns.log.count, before);
    });

    it('MPNS devices, authenticated and not, receive a toast through the MPNS simulator', async () => {
      const credential = await world.api(tenantKey, 'PUT', `/v1/tenants/${tid}/mpns/credential`, { certificate: world.pki.mpnsClient.cert, key: world.pki.mpnsClient.key });
      assert.equal(credential.status, 200, JSON.stringify(credential.body));
      assert.equal(credential.body.serviceName, 'certpush-test-service');
      const channels = [
        ...Array.from({ length: 5 }, (_, i) => world.mpns.channelUri(`auth-${i}`, { authenticated: true })),
        ...Array.from({ length: 5 }, (_, i) => world.mpns.channelUri(`plain-${i}`)),
      ];
      for (const channelUri of channels) {
        const r = await world.api(tenantKey, 'POST', `/v1/tenants/${tid}/devices`, { platform: 'mpns', channelUri });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      const sent = await world.api(tenantKey, 'POST', `/v1/tenants/${tid}/notifications`, { all: true, mpns: { type: 'toast', text1: 'Build 42', text2: 'passed & <ok>' } });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      assert.equal(sent.body.total, 10);
      const report = await eventually(async () => {
        const r = await world.api(tenantKey, 'GET', `/v1/tenants/${tid}/notifications/${sent.body.id}`);
        return r.body.completedAt ? r.body : undefined;
      }, 60_000, 'the MPNS notification to complete');
      assert.equal(report.counts.delivered, 10, JSON.stringify(report));
      const got = world.mpns.notifications.map((n) => n.token).sort();
      assert.deepEqual(got, [...Array.from({ length: 5 }, (_, i) => `auth-${i}`), ...Array.from({ length: 5 }, (_, i) => `plain-${i}`)].sort());
      assert.ok(world.mpns.notifications.filter((n) => n.authenticated).every((n) => n.clientCertificate === 'certpush-test-service'));
    });

    it('no route ever returns a private key, and the database holds none in the clear', async () => {
      const views = await Promise.all([
        world.api(tenantKey, 'GET', `/v1/tenants/${tid}/mdm/push-cert`),
        world.api(tenantKey, 'GET', `/v1/tenants/${tid}/mpns/credential`),
        world.api(world.operatorKey, 'GET', '/v1/tenants'),
      ]);
      for (const v of views) assert.doesNotMatch(JSON.stringify(v.body), /PRIVATE KEY/);
      const rows = await world.service.ctx.store.database.db.selectFrom('mdmCerts').selectAll().execute();
      const mpnsRows = await world.service.ctx.store.database.db.selectFrom('mpnsCredentials').selectAll().execute();
      const everything = JSON.stringify([rows, mpnsRows]);
      assert.doesNotMatch(everything, /PRIVATE KEY/);
      assert.match(everything, /"keySealed":"v1:/);
    });
  });
}
