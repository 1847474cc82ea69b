// What one tenant's client build or one APNs verdict may and may not do to later sends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, eventually, onboardTenant, startWorld, type World } from '../fixtures/service.ts';

const [sqlite] = await backends();

async function completed(world: World, key: string, tid: string, nid: string) {
  return eventually(async () => {
    const r = await world.api(key, 'GET', `/v1/tenants/${tid}/notifications/${nid}`);
    return r.body.completedAt ? r.body : undefined;
  }, 30_000, `notification ${nid} to complete`);
}

describe('client builds and APNs verdicts', () => {
  it('a client build that failed once is built again on the next attempt, not cached as a failure', async () => {
    const world = await startWorld(sqlite!, { service: { worker: { pollMs: 20, retryDelayScale: 0.001 } } });
    const t = await onboardTenant(world, 'Blip');
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mdm', token: deviceToken(1, 'e'), pushMagic: 'm' });
    // Unsealing the tenant's key fails once (as a database blip or a key-store hiccup would)
    // while the APNs client is built.
    const secrets = world.service.ctx.secrets;
    const open = secrets.open.bind(secrets);
    let failures = 0;
    secrets.open = (...args: Parameters<typeof open>) => {
      if (failures++ === 0) throw new Error('the key store did not answer');
      return open(...args);
    };
    const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    const report = await completed(world, t.key, t.tid, sent.body.id);
    assert.equal(report.counts.delivered, 1, JSON.stringify(report.results));
    assert.ok(report.results[0].attempts >= 2, 'the first attempt failed on the build');
  });

  it('a 410 whose timestamp predates the device\'s registration leaves the device valid', async () => {
    const world = await startWorld(sqlite!, { service: { worker: { pollMs: 20 } } });
    const t = await onboardTenant(world, 'Reregistered');
    const device = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mdm', token: deviceToken(2, 'e'), pushMagic: 'm' });
    world.apns.setDevice(deviceToken(2, 'e'), 'unregistered', new Date(Date.now() - 60_000));
    const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    const report = await completed(world, t.key, t.tid, sent.body.id);
    assert.equal(report.results[0].reason, 'Unregistered');
    const after = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices/${device.body.id}`);
    assert.equal(after.body.invalidAt, null, JSON.stringify(after.body));
  });

  it('a 410 whose timestamp follows the device\'s registration invalidates the device', async () => {
    const world = await startWorld(sqlite!, { service: { worker: { pollMs: 20 } } });
    const t = await onboardTenant(world, 'Gone');
    const device = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mdm', token: deviceToken(3, 'e'), pushMagic: 'm' });
    world.apns.setDevice(deviceToken(3, 'e'), 'unregistered', new Date(Date.now() + 1000));
    const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    await completed(world, t.key, t.tid, sent.body.id);
    const after = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices/${device.body.id}`);
    assert.notEqual(after.body.invalidAt, null, JSON.stringify(after.body));
  });
});
