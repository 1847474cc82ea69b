import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { backends } from '../fixtures/backends.ts';
import { spawnService } from '../fixtures/process.ts';
import { callApi, deviceToken, eventually, onboardTenant, startSurroundings, startWorld } from '../fixtures/service.ts';

const FANOUT = 20_000;
const [sqlite, postgres] = await backends();

function importLines(count: number, salt: string): string {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, salt), pushMagic: `m${i}` })).join('\n');
}

/** Deliveries per token in the simulator's log. */
function perToken(entries: Array<{ token: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.token, (counts.get(e.token) ?? 0) + 1);
  return counts;
}

describe('processes', () => {
  it('kill -9 during a 20,000-device fan-out loses nothing: after a restart every device is reached, duplicates at most one batch', async () => {
    const batch = 1000;
    const around = await startSurroundings(sqlite!, { workerBatchSize: batch, workerConcurrency: 1, leaseMs: 2000 });
    const first = await spawnService(around.config);
    const api = (key: string, method: string, p: string, body?: unknown, headers?: Record<string, string>) => callApi(currentUrl, key, method, p, body, headers);
    let currentUrl = first.url!;
    const t = await onboardTenant({ api, operatorKey: around.operatorKey, pki: around.pki }, 'Crashy');
    const imported = await api(t.key, 'POST', `/v1/tenants/${t.tid}/devices:import`, importLines(FANOUT, 'f'), { 'content-type': 'application/x-ndjson' });
    assert.equal(imported.body.imported, FANOUT);
    const sent = await api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    assert.equal(sent.body.total, FANOUT);

    await eventually(async () => (around.apns.log.count >= 3000 ? true : undefined), 60_000, '3,000 deliveries before the crash');
    assert.equal(await first.kill('SIGKILL'), 'SIGKILL');
    const atCrash = around.apns.log.count;
    assert.ok(atCrash < FANOUT, `the crash came mid fan-out (${atCrash} delivered)`);

    const second = await spawnService(around.config);
    currentUrl = second.url!;
    const report = await eventually(async () => {
      const r = await api(t.key, 'GET', `/v1/tenants/${t.tid}/notifications/${sent.body.id}`);
      return r.body.completedAt ? r.body : undefined;
    }, 120_000, 'the fan-out to complete after the restart');
    assert.equal(report.counts.delivered, FANOUT, JSON.stringify(report.counts));
    const counts = perToken(around.apns.log.entries());
    for (let i = 0; i < FANOUT; i++) assert.ok((counts.get(deviceToken(i, 'f')) ?? 0) >= 1, `device ${i} was never reached`);
    const duplicates = around.apns.log.count - FANOUT;
    assert.ok(duplicates <= batch, `${duplicates} duplicates; at most one batch (${batch}) was in flight at the crash`);
    assert.equal(await second.kill('SIGTERM'), 0, 'SIGTERM drains and exits cleanly');
  });

  it('on PostgreSQL, two worker processes and one API process deliver a 20,000-device fan-out exactly once each, both doing a share', { skip: postgres!.skip }, async () => {
    const around = await startSurroundings(postgres!, { workerBatchSize: 500 });
    const apiProcess = await spawnService({ ...around.config, role: 'api' });
    // The workers run whole (role all) only so that each serves its own /metrics: its attempts,
    // counted in the process that made them. The API process sends; the rows are not stamped
    // with who sent them (that would cost bytes on every result).
    const workers = await Promise.all([spawnService({ ...around.config, role: 'all' }), spawnService({ ...around.config, role: 'all' })]);
    const api = (key: string, method: string, p: string, body?: unknown, headers?: Record<string, string>) => callApi(apiProcess.url!, key, method, p, body, headers);
    const t = await onboardTenant({ api, operatorKey: around.operatorKey, pki: around.pki }, 'Scaled');
    await api(t.key, 'POST', `/v1/tenants/${t.tid}/devices:import`, importLines(FANOUT, 'e'), { 'content-type': 'application/x-ndjson' });
    const sent = await api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    const report = await eventually(async () => {
      const r = await api(t.key, 'GET', `/v1/tenants/${t.tid}/notifications/${sent.body.id}`);
      return r.body.completedAt ? r.body : undefined;
    }, 120_000, 'the fan-out to complete');
    assert.equal(report.counts.delivered, FANOUT);
    assert.equal(around.apns.log.count, FANOUT, 'nothing was sent twice');
    const counts = perToken(around.apns.log.entries());
    for (let i = 0; i < FANOUT; i++) assert.equal(counts.get(deviceToken(i, 'e')), 1, `device ${i}`);
    const shares = await Promise.all(workers.map(async (w) => {
      const text = await (await fetch(`${w.url}/metrics`)).text();
      return Number(/^certpush_deliveries_total\{service="apns",outcome="delivered"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    }));
    assert.equal(shares[0]! + shares[1]!, FANOUT, `the workers' own counts add up to the fan-out: ${shares}`);
    for (const n of shares) assert.ok(n > 0, `both workers sent a share: ${shares}`);
    // Every delivery has one result and nothing is left queued.
    const client = new pg.Client({ connectionString: around.config.databaseUrl });
    await client.connect();
    const { rows } = await client.query<Record<string, string | number>>(
      'SELECT (SELECT count(*) FROM delivery_results) AS results, (SELECT count(DISTINCT id) FROM delivery_results) AS distinct_ids, (SELECT count(*) FROM delivery_queue) AS queued');
    await client.end();
    assert.deepEqual(Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)])), { results: FANOUT, distinct_ids: FANOUT, queued: 0 });
    for (const w of workers) assert.equal(await w.kill('SIGTERM'), 0);
    assert.equal(await apiProcess.kill('SIGTERM'), 0);
  });

  it('while one tenant\'s 20,000-device fan-out runs, another tenant\'s single push is delivered first', async () => {
    const world = await startWorld(sqlite!);
    const big = await onboardTenant(world, 'Big fleet');
    const small = await onboardTenant(world, 'Small fleet');
    await world.api(big.key, 'POST', `/v1/tenants/${big.tid}/devices:import`, importLines(FANOUT, 'b'), { 'content-type': 'application/x-ndjson' });
    await world.api(small.key, 'POST', `/v1/tenants/${small.tid}/devices`, { platform: 'mdm', token: deviceToken(1, 'c'), pushMagic: 'x' });
    // Slow answers stretch the big fan-out over several seconds.
    world.apns.setFaults({ slowResponseMs: 300 });
    const bigSent = await world.api(big.key, 'POST', `/v1/tenants/${big.tid}/notifications`, { all: true, mdm: true });
    await eventually(async () => (world.apns.log.count > 0 || (await world.api(big.key, 'GET', `/v1/tenants/${big.tid}/notifications/${bigSent.body.id}?limit=1`)).body.counts.delivered > 0 ? true : undefined), 60_000, 'the big fan-out to start');
    const smallSent = await world.api(small.key, 'POST', `/v1/tenants/${small.tid}/notifications`, { all: true, mdm: true });
    await eventually(async () => ((await world.api(small.key, 'GET', `/v1/tenants/${small.tid}/notifications/${smallSent.body.id}`)).body.completedAt ? true : undefined), 60_000, 'the small tenant\'s push');
    const bigNow = await world.api(big.key, 'GET', `/v1/tenants/${big.tid}/notifications/${bigSent.body.id}?limit=1`);
    assert.ok(bigNow.body.counts.pending > 0, `the big fan-out was still running (${JSON.stringify(bigNow.body.counts)}) when the small push completed`);
    world.apns.setFaults({});
  });
});
