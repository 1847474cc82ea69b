// An APNs outage of minutes must not fail a fan-out: rows keep trying while the notification can
// still matter, and the circuit breaker keeps the outage from costing attempts. Time is scaled
// (retryDelayScale 0.01): every backoff, push-service wait and circuit open time is a hundredth
// of the real one, so "down for 7 minutes" takes 4.2 s. Under the old policy (12 attempts,
// backoff capped at 60 s: a budget of 3.5–6 minutes) this outage failed most rows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startApnsSimulator } from '../../src/simulators/apns.ts';
import { backends } from '../fixtures/backends.ts';
import { atEnd } from '../fixtures/pki.ts';
import { deviceToken, eventually, onboardTenant, startWorld } from '../fixtures/service.ts';

const SCALE = 0.01;
const OUTAGE_MS = 7 * 60_000 * SCALE;

for (const backend of await backends()) {
  describe(`an APNs endpoint down for 7 (scaled) minutes (${backend.name})`, { skip: backend.skip }, () => {
    it('ends no delivery as failed and delivers every token exactly once when it is back', async () => {
      const world = await startWorld(backend, { service: { worker: { pollMs: 20, retryDelayScale: SCALE } } });
      const t = await onboardTenant(world, 'Outage');
      const count = 2000;
      const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, 'b'), pushMagic: `m${i}` }));
      assert.equal((await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices:import`, lines.join('\n'), { 'content-type': 'application/x-ndjson' })).status, 200);

      const port = world.apns.port;
      await world.apns.close();
      const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
      assert.equal(sent.status, 202);
      const report = () => world.api(t.key, 'GET', `/v1/tenants/${t.tid}/notifications/${sent.body.id}?limit=1000`);
      const started = Date.now();
      let circuitOpened = false;
      while (Date.now() - started < OUTAGE_MS) {
        await new Promise((r) => setTimeout(r, 250));
        circuitOpened ||= world.service.worker!.circuits.open().length > 0;
        const during = await report();
        assert.equal(during.body.counts.failed, 0, `failed during the outage: ${JSON.stringify(during.body.counts)}`);
      }
      const during = await report();
      assert.equal(during.body.counts.delivered, 0);
      assert.ok(circuitOpened, 'the endpoint\'s circuit opened');
      const mostAttempts = Math.max(...during.body.results.map((r: { attempts: number }) => r.attempts));
      assert.ok(mostAttempts <= 8, `the outage cost a row ${mostAttempts} attempts`);

      const back = await startApnsSimulator({ tls: world.pki.server, clientCa: [world.pki.appleRoot.cert, world.pki.pushCa.cert], port });
      atEnd(() => back.close());
      const done = await eventually(async () => {
        const r = await report();
        return r.body.completedAt ? r.body : undefined;
      }, 60_000, 'the fan-out to complete after the outage');
      assert.equal(done.counts.failed, 0, JSON.stringify(done.counts));
      assert.equal(done.counts.delivered, count, JSON.stringify(done.counts));
      for (let i = 0; i < count; i++) assert.equal(back.log.forToken(deviceToken(i, 'b')).length, 1, `device ${i}`);
    });
  });
}
