// Single-push latency: one notification to one device at a time, from the moment this driver
// sends the POST to the moment the APNs simulator (its own process, timestamping arrivals)
// receives the push. SQLite with one process (`npm start`); PostgreSQL with the API and the
// worker in separate processes (`--role api` + `--role worker`), where only a cross-process
// wake-up keeps the push from waiting for the worker's poll.
import { api, benchPki, benchToken, onboardBenchTenant, printRows, quantile, type Role, startServiceWorld } from './lib/service-world.ts';

const N = Number(process.env.CERTPUSH_BENCH_LATENCY_N ?? 50);
/** Pause between pushes, so each finds the worker idle, as an admin's "Lock device" does. */
const GAP_MS = Number(process.env.CERTPUSH_BENCH_LATENCY_GAP_MS ?? 100);
const WARMUP = 5;

const SCENARIOS: Array<{ name: string; backend: 'sqlite' | 'postgres'; roles: Role[] }> = [
  { name: 'SQLite, one process', backend: 'sqlite', roles: ['all'] },
  { name: 'PostgreSQL, --role api + --role worker', backend: 'postgres', roles: ['api', 'worker'] },
];

export async function run(): Promise<void> {
  const { pki, pkiDir, cleanup } = await benchPki();
  const wanted = process.env.CERTPUSH_BENCH_LATENCY_SCENARIOS?.split(',');
  const rows: Array<Record<string, string>> = [];
  try {
    for (const scenario of SCENARIOS.filter((s) => !wanted || wanted.includes(s.backend))) {
      const world = await startServiceWorld({ backend: scenario.backend, roles: scenario.roles, pki, pkiDir, arrivals: true });
      try {
        const tenant = await onboardBenchTenant(world, pki, 0, WARMUP + N);
        const devices = (await api(world.url, tenant.key, 'GET', `/v1/tenants/${tenant.tid}/devices?limit=1000`)).items as Array<{ id: string; token: string }>;
        const byToken = new Map(devices.map((d) => [d.token.toLowerCase(), d.id]));
        const samples: number[] = [];
        const accepts: number[] = [];
        for (let i = 0; i < WARMUP + N; i++) {
          const token = benchToken(0, i);
          const arrived = world.sim.arrival(token);
          const sent = Date.now();
          await api(world.url, tenant.key, 'POST', `/v1/tenants/${tenant.tid}/notifications`, { devices: [byToken.get(token)], mdm: true });
          const acceptedAt = Date.now();
          const at = await arrived;
          // The first pushes open the tenant's APNs connection; they are not what is measured.
          if (i >= WARMUP) {
            samples.push(at - sent);
            accepts.push(acceptedAt - sent);
          }
          await new Promise((r) => setTimeout(r, GAP_MS));
        }
        rows.push({
          deployment: scenario.name,
          pushes: String(samples.length),
          'p50 ms': quantile(samples, 0.5).toFixed(0),
          'p99 ms': quantile(samples, 0.99).toFixed(0),
          'max ms': Math.max(...samples).toFixed(0),
          'API answered 202, p50 ms': quantile(accepts, 0.5).toFixed(0),
          'peak RSS MB (per process)': world.peakRssMb().map((r) => r.toFixed(0)).join(' + '),
        });
      } finally {
        await world.close();
      }
    }
  } finally {
    cleanup();
  }
  printRows(`Single-push latency: POST sent → APNs simulator received (${N} pushes, one at a time, ${GAP_MS} ms apart)`, rows);
}
