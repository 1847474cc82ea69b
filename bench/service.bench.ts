// The service end to end: 100,000 MDM deliveries across 100 tenants (API → queue → worker →
// APNs simulator), on SQLite with one process, and on PostgreSQL with one and with two workers.
// Each certpush process, the simulator and this driver are separate processes.
import type { TestPki } from '../src/simulators/test-pki.ts';
import { api, benchPki, onboardBenchTenant, printRows, type Role, startServiceWorld } from './lib/service-world.ts';

const TENANTS = Number(process.env.CERTPUSH_BENCH_SERVICE_TENANTS ?? 100);
const PER_TENANT = Number(process.env.CERTPUSH_BENCH_SERVICE_DEVICES ?? 1000);

interface Scenario { name: string; backend: 'sqlite' | 'postgres'; roles: Role[] }

const SCENARIOS: Scenario[] = [
  { name: 'SQLite, 1 process', backend: 'sqlite', roles: ['all'] },
  { name: 'PostgreSQL, 1 worker', backend: 'postgres', roles: ['all'] },
  { name: 'PostgreSQL, 2 workers', backend: 'postgres', roles: ['all', 'worker'] },
];

async function runScenario(scenario: Scenario, pki: TestPki, pkiDir: string): Promise<Record<string, string>> {
  const world = await startServiceWorld({ backend: scenario.backend, roles: scenario.roles, pki, pkiDir });
  try {
    // Set-up (not measured): tenants onboarded through the MDM workflow, devices imported.
    const tenants: Array<{ tid: string; key: string }> = [];
    for (let t = 0; t < TENANTS; t++) tenants.push(await onboardBenchTenant(world, pki, t, PER_TENANT));
    const total = TENANTS * PER_TENANT;
    const { url } = world;
    // Measured: every tenant pushes all its devices at once.
    const cpuBefore = world.cpuSeconds();
    const threadsBefore = world.threadCpuSeconds();
    const started = Date.now();
    const ids = await Promise.all(tenants.map((t) => api(url, t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true }).then((r) => r.id as string)));
    const accepted = Date.now();
    for (;;) {
      const { count } = await world.sim.count();
      if (count >= total) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { lastAt, count } = await world.sim.count();
    const seconds = (lastAt - started) / 1000;
    // All notifications must also be recorded as complete.
    for (const [i, id] of ids.entries()) {
      for (;;) {
        const r = await api(url, tenants[i]!.key, 'GET', `/v1/tenants/${tenants[i]!.tid}/notifications/${id}?limit=1`);
        if (r.completedAt) break;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    const cpuAfter = world.cpuSeconds();
    if (process.env.CERTPUSH_BENCH_THREADS) {
      // Where the first process's CPU went, µs per delivery by thread name (a look inside, not a column).
      const after = world.threadCpuSeconds();
      const by = Object.entries(after).map(([name, s]) => `${name} ${((s - (threadsBefore[name] ?? 0)) / total * 1e6).toFixed(1)}`).join(', ');
      process.stderr.write(`${scenario.name}: CPU µs per delivery by thread: ${by}\n`);
    }
    const rss = world.peakRssMb();
    // CPU per delivery of the certpush processes (API, worker and SQLite threads together) from the
    // first send to the last completion: steadier than the rate on a shared machine.
    const certpushCpu = cpuAfter.certpush.reduce((a, b) => a + b, 0) - cpuBefore.certpush.reduce((a, b) => a + b, 0);
    const dbSize = await world.databaseBytes();
    // Where the bytes are (PostgreSQL), measured at the same moment: right after the fan-out completes.
    const largest = await world.largestRelations();
    if (largest.length > 0) process.stderr.write(`${scenario.name}: ${(dbSize / total).toFixed(0)} B/delivery; largest relations (MB): ${largest.map((r) => `${r.name} ${r.mb.toFixed(1)}`).join(', ')}\n`);
    return {
      scenario: scenario.name,
      deliveries: String(count),
      'deliveries/s': (total / seconds).toFixed(0),
      'API accepted the sends in': `${((accepted - started) / 1000).toFixed(2)} s`,
      'time to last delivery': `${seconds.toFixed(2)} s`,
      'certpush CPU µs/delivery': (certpushCpu / total * 1e6).toFixed(1),
      'simulator CPU µs/delivery': ((cpuAfter.simulator - cpuBefore.simulator) / total * 1e6).toFixed(1),
      'peak RSS MB (per process)': rss.map((r) => r.toFixed(0)).join(' + '),
      'database MB': (dbSize / 1048576).toFixed(1),
    };
  } finally {
    await world.close();
  }
}

export async function run(): Promise<void> {
  const { pki, pkiDir, cleanup } = await benchPki();
  const wanted = process.env.CERTPUSH_BENCH_SERVICE_SCENARIOS?.split(',');
  const rows: Array<Record<string, string>> = [];
  try {
    for (const scenario of SCENARIOS.filter((s) => !wanted || wanted.includes(s.backend))) rows.push(await runScenario(scenario, pki, pkiDir));
  } finally {
    cleanup();
  }
  printRows(`Service end to end: ${TENANTS * PER_TENANT} MDM deliveries across ${TENANTS} tenants (API → APNs simulator)`, rows);
}
