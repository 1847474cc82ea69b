// The database going away — its backends terminated (a failover, a restart, an idle-timeout
// proxy) — must cost neither the process nor a single delivery.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, eventually, onboardTenant, startWorld } from '../fixtures/service.ts';

const postgres = (await backends()).find((b) => b.name === 'postgres')!;

/** Terminate every backend on the test's own database (never another's). */
async function terminateBackends(admin: pg.Client, databaseUrl: string): Promise<number> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const { rows } = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  return rows.filter((r) => r.ok).length;
}

describe('PostgreSQL backends terminated', { skip: postgres.skip }, () => {
  const admin = new pg.Client({ connectionString: process.env.CERTPUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
  before(() => admin.connect());
  after(() => admin.end());

  it('mid fan-out lose no delivery and leave the process serving', async () => {
    const world = await startWorld(postgres, { service: { worker: { pollMs: 20, batchSize: 100, leaseMs: 3000 } } });
    const t = await onboardTenant(world, 'Failover');
    const count = 3000;
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, 'f'), pushMagic: `m${i}` }));
    assert.equal((await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices:import`, lines.join('\n'), { 'content-type': 'application/x-ndjson' })).status, 200);
    // Slow answers keep the fan-out going long enough to be cut several times.
    world.apns.setFaults({ slowResponseMs: 20 });

    const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    let terminated = 0;
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      terminated += await terminateBackends(admin, world.config.databaseUrl);
    }
    assert.ok(terminated >= 6, `terminated ${terminated} backends`);

    const report = await eventually(async () => {
      const r = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/notifications/${sent.body.id}?limit=1`);
      return r.status === 200 && r.body.completedAt ? r.body : undefined;
    }, 90_000, 'the fan-out to complete');
    assert.equal(report.counts.delivered, count, JSON.stringify(report.counts));
    for (let i = 0; i < count; i++) assert.ok(world.apns.log.forToken(deviceToken(i, 'f')).length >= 1, `device ${i} got nothing`);
    assert.equal((await fetch(`${world.url}/healthz`)).status, 200);
  });

  it('make /readyz answer 503 while the database is away and 200 once it is back', async () => {
    const world = await startWorld(postgres);
    assert.equal((await fetch(`${world.url}/readyz`)).status, 200);
    const name = new URL(world.config.databaseUrl).pathname.slice(1);
    // Refuse new connections to this database, then end the ones it has: "away".
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    try {
      await terminateBackends(admin, world.config.databaseUrl);
      const away = await fetch(`${world.url}/readyz`);
      assert.equal(away.status, 503);
      assert.equal(((await away.json()) as { code: string }).code, 'NOT_READY');
      assert.equal((await fetch(`${world.url}/healthz`)).status, 200);
    } finally {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    }
    await eventually(async () => ((await fetch(`${world.url}/readyz`)).status === 200 ? true : undefined), 10_000, '/readyz to recover');
  });
});
