// A fan-out to `all` devices goes through the service in slices (README: Design, "The queue and
// the results"): the delivery engine feeds the queue as it drains it, and every device gets its
// push exactly once — with one worker, after the engine is stopped and another started, and (on
// PostgreSQL) with two workers feeding at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, eventually, onboardTenant, startWorld, type World } from '../fixtures/service.ts';

// Slices of 16 and claims of 5 rows: a few hundred devices are many slices and many top-ups.
process.env.CERTPUSH_FANOUT_SLICE = '16';
const BATCH = 5;

async function importDevices(world: World, tenant: { tid: string; key: string }, n: number, salt: string): Promise<void> {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, salt), pushMagic: `magic-${i}` }));
  const imported = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/devices:import`, lines.join('\n'), { 'content-type': 'application/x-ndjson' });
  assert.equal(imported.status, 200, JSON.stringify(imported.body));
}

async function completed(world: World, tenant: { tid: string; key: string }, id: string, timeoutMs = 60_000) {
  return eventually(async () => {
    const r = await world.api(tenant.key, 'GET', `/v1/tenants/${tenant.tid}/notifications/${id}?limit=1`);
    return r.body.completedAt ? r.body : undefined;
  }, timeoutMs, `notification ${id} to complete`);
}

function assertEachPushedOnce(world: World, n: number, salt: string): void {
  for (let i = 0; i < n; i++) {
    const got = world.apns.log.forToken(deviceToken(i, salt)).length;
    assert.equal(got, 1, `device ${i} received ${got} pushes`);
  }
}

for (const backend of await backends()) {
  describe(`a fan-out in slices through the service on ${backend.name}`, { skip: backend.skip }, () => {
    it('delivers a fan-out of many slices to every device exactly once, and its report adds up', async () => {
      const world = await startWorld(backend, { config: { workerBatchSize: BATCH } });
      const tenant = await onboardTenant(world, 'Sliced');
      await importDevices(world, tenant, 200, 'a');
      const sent = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/notifications`, { all: true, mdm: true });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      assert.equal(sent.body.total, 200, 'the total of every member, answered at once');
      const report = await completed(world, tenant, sent.body.id);
      assert.equal(report.total, 200);
      assert.deepEqual(report.counts, { pending: 0, retrying: 0, delivered: 200, invalid: 0, rejected: 0, expired: 0, failed: 0 });
      assertEachPushedOnce(world, 200, 'a');
    });

    it('resumes a fan-out stopped between slices in the service started after it, sending nothing twice', async () => {
      const world = await startWorld(backend, { config: { workerBatchSize: BATCH } });
      // Each answer 20 ms late: the fan-out takes ~20 rounds of at least that, so the service
      // is stopped well before its end (polled every 100 ms, a fast machine once finished all
      // 200 between the poll and the stop).
      world.apns.setFaults({ slowResponseMs: 20 });
      const tenant = await onboardTenant(world, 'Resumed');
      await importDevices(world, tenant, 200, 'b');
      const sent = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/notifications`, { all: true, mdm: true });
      await eventually(async () => (world.apns.log.count >= 30 ? true : undefined), 60_000, 'the first slices to be sent');
      // Stopped as SIGTERM stops it: the batches in flight finish, the rest stays in the database.
      await world.service.close();
      const sentBefore = world.apns.log.count;
      assert.ok(sentBefore < 200, `stopped mid-fan-out (${sentBefore} sent)`);
      const next = await world.startAnother();
      const report = await eventually(async () => {
        const r = await fetch(`${next.url}/v1/tenants/${tenant.tid}/notifications/${sent.body.id}?limit=1`, { headers: { authorization: `Bearer ${tenant.key}` } });
        const body = await r.json() as { completedAt: string | null; total: number; counts: Record<string, number> };
        return body.completedAt ? body : undefined;
      }, 60_000, 'the resumed fan-out to complete');
      assert.equal(report.counts.delivered, 200);
      assertEachPushedOnce(world, 200, 'b');
    });

    it('on PostgreSQL, two workers feeding one fan-out at once send each device exactly once', { skip: backend.name !== 'postgres' && 'PostgreSQL only: several processes share its queue' }, async () => {
      const world = await startWorld(backend, { config: { workerBatchSize: BATCH } });
      await world.startAnother({ role: 'worker' });
      const tenant = await onboardTenant(world, 'Shared');
      await importDevices(world, tenant, 300, 'c');
      const sent = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/notifications`, { all: true, mdm: true });
      const report = await completed(world, tenant, sent.body.id);
      assert.equal(report.counts.delivered, 300);
      assertEachPushedOnce(world, 300, 'c');
    });
  });
}
