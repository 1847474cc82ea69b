// A push leaves at once, not at the worker's next poll: the worker here polls once a minute, so
// only a wake-up (in-process on SQLite, LISTEN/NOTIFY on PostgreSQL) can deliver within seconds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { QUEUE_CHANNEL } from '../../src/store/queue-signal.ts';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, eventually, onboardTenant, startWorld } from '../fixtures/service.ts';

const POLL_MS = 60_000;
/** Far below the poll, far above a wake-up on a busy machine. */
const WITHIN_MS = 10_000;

const [sqlite, postgres] = await backends();

async function pushOne(world: Awaited<ReturnType<typeof startWorld>>, tenant: { tid: string; key: string }, i: number): Promise<void> {
  const token = deviceToken(i, 'f');
  const device = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/devices`, { platform: 'mdm', token, pushMagic: `pm${i}` });
  const sent = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/notifications`, { devices: [device.body.id], mdm: true });
  assert.equal(sent.status, 202);
  await eventually(async () => (world.apns.log.forToken(token).length > 0 ? true : undefined), WITHIN_MS, `device ${i} to be pushed`);
}

describe('wake-ups', () => {
  it('on SQLite, a notification is sent at once by the worker in the same process, without waiting for its poll', async () => {
    const world = await startWorld(sqlite!, { service: { worker: { pollMs: POLL_MS } } });
    const tenant = await onboardTenant(world, 'Local');
    for (let i = 0; i < 3; i++) await pushOne(world, tenant, i);
  });

  it('on PostgreSQL, a notification accepted by an API-only process is sent at once by a worker-only process', { skip: postgres!.skip }, async () => {
    const world = await startWorld(postgres!, { config: { role: 'api' }, service: { worker: { pollMs: POLL_MS } } });
    const worker = await world.startAnother({ role: 'worker' });
    await eventually(async () => (worker.ctx.store.queue.listening ? true : undefined), WITHIN_MS, 'the worker to LISTEN');
    const tenant = await onboardTenant(world, 'Split');
    for (let i = 0; i < 3; i++) await pushOne(world, tenant, i);
  });

  it('on PostgreSQL, a worker whose LISTEN connection was cut reconnects and is woken again', { skip: postgres!.skip }, async () => {
    const world = await startWorld(postgres!, { config: { role: 'api' }, service: { worker: { pollMs: POLL_MS } } });
    const worker = await world.startAnother({ role: 'worker' });
    await eventually(async () => (worker.ctx.store.queue.listening ? true : undefined), WITHIN_MS, 'the worker to LISTEN');
    const tenant = await onboardTenant(world, 'Cut');
    await pushOne(world, tenant, 0);

    const admin = new pg.Client({ connectionString: world.config.databaseUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query(`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE datname = current_database() AND query = $1`, [`LISTEN ${QUEUE_CHANNEL}`]);
      assert.equal(rows.length, 1, 'exactly one LISTEN connection (the worker\'s; the API process does not listen)');
    } finally {
      await admin.end();
    }
    await eventually(async () => (worker.ctx.store.queue.listening ? undefined : true), WITHIN_MS, 'the worker to notice the cut');
    await eventually(async () => (worker.ctx.store.queue.listening ? true : undefined), WITHIN_MS, 'the worker to LISTEN again');
    await pushOne(world, tenant, 1);
  });
});
