// The service end to end: 100,000 MDM deliveries across 100 tenants (API → queue → worker →
// APNs simulator), on SQLite with one process, and on PostgreSQL with one and with two workers.
// Each certpush process, the simulator and this driver are separate processes.
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CONFIG_ENV, type ServiceConfig } from '../src/config.ts';
import { parseCertificate } from '../src/pki/certificate.ts';
import { loadIdentity } from '../src/pki/identity.ts';
import { startSignerServer } from '../src/signer/server.ts';
import { issuePushCertificate } from '../src/simulators/apple-portal.ts';
import { createTestPki, type TestPki, writeTestPki } from '../src/simulators/test-pki.ts';

const TENANTS = Number(process.env.CERTPUSH_BENCH_SERVICE_TENANTS ?? 100);
const PER_TENANT = Number(process.env.CERTPUSH_BENCH_SERVICE_DEVICES ?? 1000);
const PG_ADMIN = process.env.CERTPUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BIN = path.join(import.meta.dirname, '..', 'bin', 'certpush.js');

interface Scenario { name: string; backend: 'sqlite' | 'postgres'; processes: Array<'all' | 'worker'> }

const SCENARIOS: Scenario[] = [
  { name: 'SQLite, 1 process', backend: 'sqlite', processes: ['all'] },
  { name: 'PostgreSQL, 1 worker', backend: 'postgres', processes: ['all'] },
  { name: 'PostgreSQL, 2 workers', backend: 'postgres', processes: ['all', 'worker'] },
];

function env(config: Partial<ServiceConfig>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== '' && v !== undefined).map(([k, v]) => [CONFIG_ENV[k as keyof ServiceConfig], Array.isArray(v) ? v.join(',') : String(v)]));
}

function startProcess(config: Partial<ServiceConfig>): Promise<{ child: ChildProcess; url: string | null }> {
  // With the V8 flag `npm start` uses (README: Design), so the memory column is what users see.
  const child = spawn(process.execPath, ['--max-semi-space-size=16', BIN, 'serve'], { env: { ...process.env, ...env(config) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /certpush (?:listening on (\S+)|worker)/.exec(err);
      if (m) resolve({ child, url: m[1] ?? null });
    });
    child.on('exit', (code) => reject(new Error(`certpush serve exited ${code}: ${err}`)));
  });
}

/** Peak resident memory of a process (Linux VmHWM), MB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function api(url: string, key: string, method: string, p: string, body?: unknown, type = 'application/json'): Promise<any> {
  const r = await fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${p}: ${JSON.stringify(json)}`);
  return json;
}

async function runScenario(scenario: Scenario, pki: TestPki, pkiDir: string): Promise<Record<string, string>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-bench-service-'));
  let databaseUrl = '';
  let dbName = '';
  if (scenario.backend === 'postgres') {
    dbName = `certpush_bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(PG_ADMIN);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  const sim = spawn(process.execPath, [path.join(import.meta.dirname, 'service', 'simulator.ts'), pkiDir], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const simUrl = await new Promise<string>((resolve) => sim.stdout!.once('data', (c: Buffer) => resolve(JSON.parse(c.toString()).url)));
  const simCount = () => new Promise<{ count: number; lastAt: number }>((resolve) => { sim.once('message', (m) => resolve(m as { count: number; lastAt: number })); sim.send('count'); });
  const signerToken = crypto.randomBytes(24).toString('base64url');
  const signer = await startSignerServer({ vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }), intermediate: parseCertificate(pki.wwdr.cert), root: parseCertificate(pki.appleRoot.cert), token: signerToken, port: 0, log: () => {} });
  const operatorKey = `op-${crypto.randomBytes(24).toString('base64url')}`;
  const config: Partial<ServiceConfig> = {
    host: '127.0.0.1', port: 0, dataDir: path.join(work, 'data'), databaseUrl, signerUrl: signer.url, signerToken, apnsEndpoint: simUrl,
    extraCaFile: path.join(pkiDir, 'server-ca.pem'), appleRootFile: path.join(pkiDir, 'apple-root.pem'), operatorKey, masterKey: crypto.randomBytes(32).toString('base64'), logLevel: 'error',
  };
  const processes = [];
  for (const [i, role] of scenario.processes.entries()) processes.push(await startProcess({ ...config, role, port: i === 0 ? 0 : 0 }));
  const url = processes[0]!.url!;
  try {
    // Set-up (not measured): tenants onboarded through the MDM workflow, devices imported.
    const tenants: Array<{ tid: string; key: string }> = [];
    for (let t = 0; t < TENANTS; t++) {
      const tenant = await api(url, operatorKey, 'POST', '/v1/tenants', { name: `Bench ${t}` });
      await api(url, operatorKey, 'POST', `/v1/tenants/${tenant.id}/mdm/csr`, {});
      const signed = await api(url, operatorKey, 'POST', `/v1/tenants/${tenant.id}/mdm/push-cert-request`);
      const apple = await issuePushCertificate(pki, signed.request);
      await api(url, operatorKey, 'PUT', `/v1/tenants/${tenant.id}/mdm/push-cert`, { certificate: apple.cert });
      const lines = Array.from({ length: PER_TENANT }, (_, i) => JSON.stringify({ platform: 'mdm', token: crypto.createHash('sha256').update(`${t}-${i}`).digest('hex'), pushMagic: `pm-${i}` }));
      await api(url, operatorKey, 'POST', `/v1/tenants/${tenant.id}/devices:import`, lines.join('\n'), 'application/x-ndjson');
      tenants.push({ tid: tenant.id, key: operatorKey });
    }
    const total = TENANTS * PER_TENANT;
    // Measured: every tenant pushes all its devices at once.
    const started = Date.now();
    const ids = await Promise.all(tenants.map((t) => api(url, t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true }).then((r) => r.id as string)));
    const accepted = Date.now();
    for (;;) {
      const { count } = await simCount();
      if (count >= total) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { lastAt, count } = await simCount();
    const seconds = (lastAt - started) / 1000;
    // All notifications must also be recorded as complete.
    for (const [i, id] of ids.entries()) {
      for (;;) {
        const r = await api(url, tenants[i]!.key, 'GET', `/v1/tenants/${tenants[i]!.tid}/notifications/${id}?limit=1`);
        if (r.completedAt) break;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    const rss = processes.map((p) => peakRssMb(p.child.pid!));
    let dbSize = 0;
    if (scenario.backend === 'sqlite') {
      for (const f of fs.readdirSync(config.dataDir!)) if (f.startsWith('certpush.db')) dbSize += fs.statSync(path.join(config.dataDir!, f)).size;
    } else {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      dbSize = Number((await c.query('SELECT pg_database_size(current_database()) AS s')).rows[0].s);
      await c.end();
    }
    return {
      scenario: scenario.name,
      deliveries: String(count),
      'deliveries/s': (total / seconds).toFixed(0),
      'API accepted the sends in': `${((accepted - started) / 1000).toFixed(2)} s`,
      'time to last delivery': `${seconds.toFixed(2)} s`,
      'peak RSS MB (per process)': rss.map((r) => r.toFixed(0)).join(' + '),
      'database MB': (dbSize / 1048576).toFixed(1),
    };
  } finally {
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))));
    sim.kill('SIGTERM');
    await signer.close();
    if (dbName) {
      const admin = new pg.Client({ connectionString: PG_ADMIN });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const pki = await createTestPki();
  const pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-bench-pki-'));
  writeTestPki(pkiDir, pki);
  const wanted = process.env.CERTPUSH_BENCH_SERVICE_SCENARIOS?.split(',');
  const rows: Array<Record<string, string>> = [];
  for (const scenario of SCENARIOS.filter((s) => !wanted || wanted.includes(s.backend))) rows.push(await runScenario(scenario, pki, pkiDir));
  fs.rmSync(pkiDir, { recursive: true, force: true });
  const header = Object.keys(rows[0]!);
  const widths = header.map((h) => Math.max(h.length, ...rows.map((r) => r[h]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write([`\n## Service end to end: ${TENANTS * PER_TENANT} MDM deliveries across ${TENANTS} tenants (API → APNs simulator)\n`, line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map((r) => line(header.map((h) => r[h]!))), ''].join('\n') + '\n');
}
