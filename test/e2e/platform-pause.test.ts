// A credential refused on one platform pauses that platform only: the tenant's other
// platform keeps sending, and a new credential wakes the parked rows at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issuePushCertificate } from '../../src/simulators/apple-portal.ts';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, eventually, onboardTenant, startWorld } from '../fixtures/service.ts';

for (const backend of await backends()) {
  describe(`per-platform pause (${backend.name})`, { skip: backend.skip }, () => {
    it('an APNs certificate refusal pauses MDM sending while MPNS goes on, until a new certificate resumes MDM', async () => {
      const world = await startWorld(backend, { service: { worker: { pollMs: 20, retryDelayScale: 0.001 } } });
      const t = await onboardTenant(world, 'Half');
      assert.equal((await world.api(t.key, 'PUT', `/v1/tenants/${t.tid}/mpns/credential`, { certificate: world.pki.mpnsClient.cert, key: world.pki.mpnsClient.key })).status, 200);
      for (let i = 0; i < 5; i++) {
        await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mdm', token: deviceToken(i, 'd'), pushMagic: 'm' });
        world.apns.setDevice(deviceToken(i, 'd'), { reason: 'BadCertificate' });
        await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mpns', channelUri: world.mpns.channelUri(`half-${i}`, { authenticated: true }) });
      }
      const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true, mpns: { type: 'toast', text1: 'hi' } });
      assert.equal(sent.status, 202);
      const report = () => world.api(t.key, 'GET', `/v1/tenants/${t.tid}/notifications/${sent.body.id}`);

      const half = await eventually(async () => {
        const r = await report();
        return r.body.counts.delivered === 5 ? r.body : undefined;
      }, 30_000, 'the MPNS half to be delivered while MDM is paused');
      assert.equal(half.counts.pending, 5, JSON.stringify(half.results));
      assert.ok(half.results.filter((r: { platform: string }) => r.platform === 'mpns').every((r: { state: string }) => r.state === 'delivered'));
      assert.ok(half.results.filter((r: { platform: string }) => r.platform === 'mdm').every((r: { attempts: number }) => r.attempts === 0), 'the refusal spent no attempts');
      const tenant = await world.api(world.operatorKey, 'GET', `/v1/tenants/${t.tid}`);
      assert.match(tenant.body.paused.reason, /^mdm: BadCertificate/);
      // Sent after the pause: MPNS still goes out.
      const later = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mpns: { type: 'toast', text1: 'later' } });
      assert.equal(later.status, 202);
      await eventually(async () => {
        const r = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/notifications/${later.body.id}`);
        return r.body.counts.delivered === 5 ? true : undefined;
      }, 20_000, 'an MPNS notification sent during the MDM pause to be delivered');

      for (let i = 0; i < 5; i++) world.apns.setDevice(deviceToken(i, 'd'), null);
      await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/mdm/csr`, {});
      const signed = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/mdm/push-cert-request`);
      const renewed = await issuePushCertificate(world.pki, signed.body.request, { previous: t.cert });
      assert.equal((await world.api(t.key, 'PUT', `/v1/tenants/${t.tid}/mdm/push-cert`, { certificate: renewed.cert })).status, 200);
      assert.equal((await world.api(world.operatorKey, 'GET', `/v1/tenants/${t.tid}`)).body.paused, null);
      // Parked rows would otherwise look again only after a minute: the new certificate wakes them.
      const done = await eventually(async () => {
        const r = await report();
        return r.body.completedAt ? r.body : undefined;
      }, 20_000, 'the MDM half to be delivered after the new certificate');
      assert.equal(done.counts.delivered, 10);
    });
  });
}
