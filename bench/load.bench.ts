// The API under load while delivery runs: 200 concurrent clients (80% device listings, 20% small
// sends to one device) against one certpush process while a 20,000-device fan-out is delivered,
// with a /healthz probe on its own connection. On SQLite and on PostgreSQL. Each client has one
// keep-alive connection and sends its next request when the last one is answered.
//
// Two phases, each measured on its own: the connect burst (all 200 clients connect at once; a
// client's first answer includes its connection being accepted, so a backlog shows as a late
// first answer, and the listen socket's accept queue is sampled), then — once every client has
// been answered and the load is steady — the fan-out, whose window runs from its POST to its
// completion. Measured as one window, a fan-out of a few seconds was mostly the burst.
import fs from 'node:fs';
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import { sampleAcceptQueue } from './lib/accept-queue.ts';
import { api, benchPki, benchToken, onboardBenchTenant, printRows, quantile, startServiceWorld } from './lib/service-world.ts';

const CLIENTS = Number(process.env.CERTPUSH_BENCH_LOAD_CLIENTS ?? 200);
const FANOUT = Number(process.env.CERTPUSH_BENCH_LOAD_FANOUT ?? 20_000);
/** Devices of the tenant the clients list and send to. */
const LISTED = 1000;
const HEALTH_EVERY_MS = 20;

/** CPU seconds (user + system, all threads) a process has used so far: /proc/PID/stat, in clock ticks of 10 ms. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The same /healthz probe from a thread of its own: the probe above shares the driver's event
 * loop with 200 clients, so its times include the driver's own turns (parsing ~1,000 answers
 * a second); this one's are the server's, as a load balancer's probe would see them.
 */
const PROBE_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const samples = [];
let running = true;
parentPort.on('message', () => { running = false; });
(async () => {
  while (running) {
    const t0 = Date.now();
    await new Promise((resolve) => {
      const req = http.request({ host: workerData.host, port: workerData.port, path: '/healthz', agent }, (res) => { res.resume(); res.on('end', resolve); });
      req.on('error', resolve);
      req.end();
    });
    samples.push([t0, Date.now() - t0]);
    await new Promise((r) => setTimeout(r, workerData.every));
  }
  agent.destroy();
  parentPort.postMessage(samples);
})();
`;

interface Sample { kind: 'GET' | 'POST' | 'health' | 'probe' | 'push' | 'accepted push'; at: number; ms: number; status: number }

function request(agent: http.Agent, url: URL, method: string, path: string, key: string | null, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: url.hostname, port: url.port, method, path, agent, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function runScenario(backend: 'sqlite' | 'postgres', pki: Awaited<ReturnType<typeof benchPki>>['pki'], pkiDir: string): Promise<Record<string, string>> {
  const world = await startServiceWorld({ backend, roles: ['all'], pki, pkiDir, arrivals: 'watch' });
  try {
    const fan = await onboardBenchTenant(world, pki, 0, FANOUT);
    const listed = await onboardBenchTenant(world, pki, 1, LISTED);
    // A third tenant with one device: its pushes, one at a time, timed from the POST to their
    // arrival at the simulator — what an admin's "lock this device" waits for under the load.
    const pushed = await onboardBenchTenant(world, pki, 2, 1);
    const probeToken = benchToken(2, 0);
    const probeDevice = ((await api(world.url, pushed.key, 'GET', `/v1/tenants/${pushed.tid}/devices?limit=1`)).items as Array<{ id: string }>)[0]!.id;
    const ids = ((await api(world.url, listed.key, 'GET', `/v1/tenants/${listed.tid}/devices?limit=1000`)).items as Array<{ id: string }>).map((d) => d.id);
    const url = new URL(world.url);
    const samples: Sample[] = [];
    const firstAnswer: number[] = [];
    const errors: string[] = [];
    let running = true;

    // Every client connects at once; the fan-out starts once all have been answered.
    const pids = world.processes.map((p) => p.child.pid!);
    // Connections the server has not accepted yet (the listen backlog), sampled every 5 ms.
    const family = url.hostname.startsWith('[') ? 6 : 4;
    let backlog = sampleAcceptQueue(Number(url.port), family);
    const burstStarted = Date.now();
    let allAnswered!: () => void;
    const answered = new Promise<void>((resolve) => (allAnswered = resolve));
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      let first = true;
      const born = Date.now();
      for (let i = 0; running; i++) {
        // Spread over the clients: 1 request in 5 is a send.
        const send = (c + i) % 5 === 0;
        const t0 = Date.now();
        try {
          const r = send
            ? await request(agent, url, 'POST', `/v1/tenants/${listed.tid}/notifications`, listed.key, { devices: [ids[(c * 7 + i) % ids.length]], mdm: true })
            : await request(agent, url, 'GET', `/v1/tenants/${listed.tid}/devices?limit=50`, listed.key);
          const t1 = Date.now();
          if (r.status !== (send ? 202 : 200)) errors.push(`${send ? 'POST' : 'GET'} ${r.status} ${r.text.slice(0, 120)}`);
          samples.push({ kind: send ? 'POST' : 'GET', at: t0, ms: t1 - t0, status: r.status });
          if (first) {
            firstAnswer.push(t1 - born);
            first = false;
            if (firstAnswer.length === CLIENTS) allAnswered();
          }
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      agent.destroy();
    });
    const probe = new Worker(PROBE_THREAD, { eval: true, workerData: { host: url.hostname, port: Number(url.port), every: HEALTH_EVERY_MS } });
    const probed = new Promise<Array<[number, number]>>((resolve) => probe.once('message', resolve));
    const health = (async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (running) {
        const t0 = Date.now();
        const r = await request(agent, url, 'GET', '/healthz', null).catch((error: Error) => ({ status: 0, text: error.message }));
        samples.push({ kind: 'health', at: t0, ms: Date.now() - t0, status: r.status });
        await new Promise((res) => setTimeout(res, HEALTH_EVERY_MS));
      }
      agent.destroy();
    })();
    // The burst ends when every client has its first answer (at most 30 s); a second of steady
    // load follows before the fan-out, so its window starts with the load as it stays.
    await Promise.race([answered, new Promise((res) => setTimeout(res, 30_000))]);
    const burstMs = Date.now() - burstStarted;
    const burstBacklog = backlog.stop();
    await new Promise((res) => setTimeout(res, 1000));

    backlog = sampleAcceptQueue(Number(url.port), family);
    const cpuBefore = pids.map(cpuSeconds);
    const started = Date.now();
    const fanout = await api(world.url, fan.key, 'POST', `/v1/tenants/${fan.tid}/notifications`, { all: true, mdm: true });
    let fanoutDone = false;
    const pushes = (async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (!fanoutDone) {
        const arrived = world.sim.arrival(probeToken);
        const t0 = Date.now();
        await request(agent, url, 'POST', `/v1/tenants/${pushed.tid}/notifications`, pushed.key, { devices: [probeDevice], mdm: true });
        const accepted = Date.now();
        const at = await Promise.race([arrived, new Promise<null>((res) => setTimeout(() => res(null), 30_000))]);
        if (at === null) errors.push('a probe push did not arrive within 30 s');
        else {
          samples.push({ kind: 'push', at: t0, ms: at - t0, status: 200 });
          samples.push({ kind: 'accepted push', at: t0, ms: at - accepted, status: 200 });
        }
        await new Promise((res) => setTimeout(res, 100));
      }
      agent.destroy();
    })();

    // The window: until the fan-out's last delivery is recorded.
    let report: { completedAt: string | null; createdAt: string; timeline: Array<{ second: number; delivered: number }> };
    for (;;) {
      await new Promise((res) => setTimeout(res, 250));
      report = await api(world.url, fan.key, 'GET', `/v1/tenants/${fan.tid}/notifications/${fanout.id}?limit=1`);
      if (report.completedAt) break;
    }
    const ended = Date.now();
    fanoutDone = true;
    await pushes;
    const backlogMax = backlog.stop();
    const cpu = pids.map((pid, i) => cpuSeconds(pid) - cpuBefore[i]!);
    running = false;
    probe.postMessage('stop');
    await Promise.all([...clients, health]);
    for (const [at, t] of await probed) samples.push({ kind: 'probe', at, ms: t, status: 200 });
    await probe.terminate();

    const inWindow = samples.filter((s) => s.at >= started && s.at <= ended);
    const ms = (kind: Sample['kind']) => inWindow.filter((s) => s.kind === kind).map((s) => s.ms);
    const seconds = (ended - started) / 1000;
    const fanoutSeconds = (Date.parse(report.completedAt!) - Date.parse(report.createdAt)) / 1000;
    const all = [...ms('GET'), ...ms('POST')];
    const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);
    return {
      backend: backend === 'sqlite' ? 'SQLite' : 'PostgreSQL',
      'requests/s': (all.length / seconds).toFixed(0),
      'GET p50 / p99': `${fmt(quantile(ms('GET'), 0.5))} / ${fmt(quantile(ms('GET'), 0.99))}`,
      'POST p50 / p99': `${fmt(quantile(ms('POST'), 0.5))} / ${fmt(quantile(ms('POST'), 0.99))}`,
      'all p99': fmt(quantile(all, 0.99)),
      '/healthz p99': fmt(quantile(ms('health'), 0.99)),
      '/healthz p99, own thread': fmt(quantile(ms('probe'), 0.99)),
      // Few samples (one push at a time, then 100 ms): the median and the slowest.
      'one push, POST → APNs: p50 / max (n)': `${fmt(quantile(ms('push'), 0.5))} / ${fmt(Math.max(...ms('push')))} (${ms('push').length})`,
      'one push, 202 → APNs: p50 / max': `${fmt(quantile(ms('accepted push'), 0.5))} / ${fmt(Math.max(...ms('accepted push')))}`,
      'connect burst: all answered in, slowest first answer': `${fmt(burstMs)}, ${fmt(Math.max(...firstAnswer))}`,
      'accept queue, burst / fan-out: max, ms non-empty': `${burstBacklog.max}, ${burstBacklog.waitingMs} / ${backlogMax.max}, ${backlogMax.waitingMs}`,
      'clients answered': `${firstAnswer.length}/${CLIENTS}`,
      'fan-out deliveries/s': (FANOUT / fanoutSeconds).toFixed(0),
      errors: String(errors.length),
      // CPU of the certpush process(es) over the window, all threads, the fan-out's delivery
      // included: per answered request, the measure that holds still on a shared machine.
      'process CPU s, ms/request': `${cpu.map((c) => c.toFixed(1)).join(' + ')}, ${((1000 * cpu.reduce((a, b) => a + b, 0)) / all.length).toFixed(2)}`,
      'peak RSS MB': world.peakRssMb().map((r) => r.toFixed(0)).join(' + '),
    };
  } finally {
    await world.close();
  }
}

export async function run(): Promise<void> {
  const { pki, pkiDir, cleanup } = await benchPki();
  const wanted = process.env.CERTPUSH_BENCH_LOAD_SCENARIOS?.split(',');
  const rows: Array<Record<string, string>> = [];
  try {
    for (const backend of (['sqlite', 'postgres'] as const).filter((b) => !wanted || wanted.includes(b))) rows.push(await runScenario(backend, pki, pkiDir));
  } finally {
    cleanup();
  }
  printRows(`The API under load: ${CLIENTS} clients (80% device listings, 20% one-device sends) during a ${FANOUT.toLocaleString('en')}-device fan-out, one process (the fan-out starts once every client has been answered)`, rows);
}
