// What the service benchmarks share: certpush processes (`certpush serve`, as `npm start` runs
// it), an APNs simulator and the vendor signer, each in its own process or server, a fresh
// database per scenario, and tenants onboarded through the MDM workflow over the API.
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CONFIG_ENV, type ServiceConfig } from '../../src/config.ts';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { loadIdentity } from '../../src/pki/identity.ts';
import { type SignerServer, startSignerServer } from '../../src/signer/server.ts';
import { issuePushCertificate } from '../../src/simulators/apple-portal.ts';
import { createTestPki, type TestPki, writeTestPki } from '../../src/simulators/test-pki.ts';
import { memorySamplerFlags } from './rss-sampler.ts';

export const PG_ADMIN = process.env.CERTPUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'certpush.js');
const SIMULATOR = path.join(import.meta.dirname, '..', 'service', 'simulator.ts');

export type Role = 'all' | 'api' | 'worker';

export interface CertpushProcess { child: ChildProcess; url: string | null; role: Role }

/** The simulator process: how many it accepted, and (with arrivals on) when each token arrived. */
export interface SimulatorProcess {
  url: string;
  pid: number;
  count(): Promise<{ count: number; lastAt: number }>;
  /** Resolves with the simulator's receive time (epoch ms, fractional) of the next push to `token`. */
  arrival(token: string): Promise<number>;
  close(): void;
}

export interface ServiceWorld {
  url: string;
  operatorKey: string;
  processes: CertpushProcess[];
  sim: SimulatorProcess;
  backend: 'sqlite' | 'postgres';
  config: Partial<ServiceConfig>;
  /** Peak resident memory of each certpush process so far (Linux VmHWM), MB. */
  peakRssMb(): number[];
  /** CPU seconds (user + system, every thread) each certpush process and the simulator have used so far (Linux /proc). */
  cpuSeconds(): { certpush: number[]; simulator: number };
  /** CPU seconds by thread name of the first certpush process (its main thread, SQLite threads, libuv pool, V8's GC helpers). */
  threadCpuSeconds(): Record<string, number>;
  databaseBytes(): Promise<number>;
  /** PostgreSQL: the largest relations (tables with their TOAST, and indexes), MB, largest first; empty on SQLite. */
  largestRelations(limit?: number): Promise<Array<{ name: string; mb: number }>>;
  close(): Promise<void>;
}

export async function benchPki(): Promise<{ pki: TestPki; pkiDir: string; cleanup(): void }> {
  const pki = await createTestPki();
  const pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-bench-pki-'));
  writeTestPki(pkiDir, pki);
  return { pki, pkiDir, cleanup: () => fs.rmSync(pkiDir, { recursive: true, force: true }) };
}

function env(config: Partial<ServiceConfig>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== '' && v !== undefined).map(([k, v]) => [CONFIG_ENV[k as keyof ServiceConfig], Array.isArray(v) ? v.join(',') : String(v)]));
}

function startProcess(config: Partial<ServiceConfig>, role: Role): Promise<CertpushProcess> {
  // As `npm start` runs it: bin/certpush.js sets the memory settings of a service (README:
  // Design), so the memory column is what users see. CERTPUSH_BENCH_NODE_FLAGS adds flags for a
  // look inside (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"); CERTPUSH_BENCH_MEMORY_DIR, a sampler.
  const flags = [...memorySamplerFlags(), ...process.env.CERTPUSH_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []];
  const child = spawn(process.execPath, [...flags, BIN, 'serve'], {
    env: { ...process.env, ...env({ ...config, role }) },
    // CERTPUSH_BENCH_CHILD_STDOUT=FILE keeps what those flags print (e.g. --trace-gc).
    stdio: ['ignore', process.env.CERTPUSH_BENCH_CHILD_STDOUT ? fs.openSync(process.env.CERTPUSH_BENCH_CHILD_STDOUT, 'a') : 'ignore', 'pipe'],
  });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /certpush (?:listening on (\S+)|worker)/.exec(err);
      if (m) resolve({ child, url: m[1] ?? null, role });
    });
    child.on('exit', (code) => reject(new Error(`certpush serve exited ${code}: ${err}`)));
  });
}

function peakRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** User + system CPU seconds of a process, all its threads (fields 14 and 15 of /proc/PID/stat, in clock ticks). */
export function processCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; count fields from after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds per thread of a process, summed by thread name (/proc/PID/task/TID/stat): where a process's CPU went. */
export function threadCpuSeconds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }
  return out;
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

function startSimulator(pkiDir: string, arrivals: boolean | 'watch'): Promise<SimulatorProcess> {
  const mode = arrivals === 'watch' ? ['watch'] : arrivals ? ['arrivals'] : [];
  const sim = spawn(process.execPath, [SIMULATOR, pkiDir, ...mode], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const waiting = new Map<string, (at: number) => void>();
  const counts: Array<(c: { count: number; lastAt: number }) => void> = [];
  sim.on('message', (m: { type: 'count'; count: number; lastAt: number } | { type: 'arrival'; token: string; at: number }) => {
    if (m.type === 'count') counts.shift()?.(m);
    else {
      waiting.get(m.token)?.(m.at);
      waiting.delete(m.token);
    }
  });
  return new Promise((resolve) => sim.stdout!.once('data', (c: Buffer) => resolve({
    url: JSON.parse(c.toString()).url,
    pid: sim.pid!,
    count: () => new Promise((r) => { counts.push(r); sim.send('count'); }),
    arrival: (token) => new Promise((r) => {
      waiting.set(token.toLowerCase(), r);
      if (arrivals === 'watch') sim.send({ type: 'watch', token });
    }),
    close: () => sim.kill('SIGTERM'),
  })));
}

async function createPostgresDatabase(): Promise<{ url: string; name: string }> {
  const name = `certpush_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return { url: u.toString(), name };
}

async function dropPostgresDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/**
 * Start a world: a fresh database, the simulator, the signer and one certpush process per role
 * (the first is the one the API is reached at).
 */
export async function startServiceWorld(options: { backend: 'sqlite' | 'postgres'; roles: Role[]; pki: TestPki; pkiDir: string; arrivals?: boolean | 'watch' }): Promise<ServiceWorld> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-bench-service-'));
  const database = options.backend === 'postgres' ? await createPostgresDatabase() : null;
  const sim = await startSimulator(options.pkiDir, options.arrivals ?? false);
  const signerToken = crypto.randomBytes(24).toString('base64url');
  const { pki } = options;
  const signer: SignerServer = await startSignerServer({ vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }), intermediate: parseCertificate(pki.wwdr.cert), root: parseCertificate(pki.appleRoot.cert), token: signerToken, port: 0, log: () => {} });
  const operatorKey = `op-${crypto.randomBytes(24).toString('base64url')}`;
  const config: Partial<ServiceConfig> = {
    host: '127.0.0.1', port: 0, dataDir: path.join(work, 'data'), databaseUrl: database?.url ?? '', signerUrl: signer.url, signerToken, apnsEndpoint: sim.url,
    extraCaFile: path.join(options.pkiDir, 'server-ca.pem'), appleRootFile: path.join(options.pkiDir, 'apple-root.pem'), operatorKey, masterKey: crypto.randomBytes(32).toString('base64'), logLevel: 'error',
  };
  const processes: CertpushProcess[] = [];
  for (const role of options.roles) processes.push(await startProcess(config, role));
  return {
    url: processes[0]!.url!,
    operatorKey,
    processes,
    sim,
    backend: options.backend,
    config,
    peakRssMb: () => processes.map((p) => peakRss(p.child.pid!)),
    threadCpuSeconds: () => threadCpuSeconds(processes[0]!.child.pid!),
    cpuSeconds: () => ({ certpush: processes.map((p) => processCpuSeconds(p.child.pid!)), simulator: processCpuSeconds(sim.pid) }),
    async databaseBytes() {
      if (!database) {
        let size = 0;
        for (const f of fs.readdirSync(config.dataDir!)) if (f.startsWith('certpush.db')) size += fs.statSync(path.join(config.dataDir!, f)).size;
        return size;
      }
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      const size = Number((await c.query('SELECT pg_database_size(current_database()) AS s')).rows[0].s);
      await c.end();
      return size;
    },
    async largestRelations(limit = 8) {
      if (!database) return [];
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      // A table's heap with its TOAST (pg_table_size), each index on its own.
      const { rows } = await c.query(`
        SELECT c.relname AS name, CASE WHEN c.relkind = 'i' THEN pg_relation_size(c.oid) ELSE pg_table_size(c.oid) END AS bytes
        FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'i')
        ORDER BY bytes DESC LIMIT $1`, [limit]);
      await c.end();
      return rows.map((r) => ({ name: r.name as string, mb: Number(r.bytes) / 1048576 }));
    },
    async close() {
      for (const p of processes) p.child.kill('SIGTERM');
      await Promise.all(processes.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))));
      sim.close();
      await signer.close();
      if (database) await dropPostgresDatabase(database.name);
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

export async function api(url: string, key: string, method: string, p: string, body?: unknown, type = 'application/json'): Promise<any> {
  const r = await fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${p}: ${JSON.stringify(json)}`);
  return json;
}

/** The device token the benchmarks give device `i` of tenant `t`. */
export function benchToken(t: number, i: number): string {
  return crypto.createHash('sha256').update(`${t}-${i}`).digest('hex');
}

/** A tenant onboarded through the MDM workflow (CSR, vendor signature, Apple, import) with `devices` MDM devices. */
export async function onboardBenchTenant(world: ServiceWorld, pki: TestPki, t: number, devices: number): Promise<{ tid: string; key: string }> {
  const { url, operatorKey } = world;
  const tenant = await api(url, operatorKey, 'POST', '/v1/tenants', { name: `Bench ${t}` });
  await api(url, operatorKey, 'POST', `/v1/tenants/${tenant.id}/mdm/csr`, {});
  const signed = await api(url, operatorKey, 'POST', `/v1/tenants/${tenant.id}/mdm/push-cert-request`);
  const apple = await issuePushCertificate(pki, signed.request);
  await api(url, operatorKey, 'PUT', `/v1/tenants/${tenant.id}/mdm/push-cert`, { certificate: apple.cert });
  if (devices > 0) {
    const lines = Array.from({ length: devices }, (_, i) => JSON.stringify({ platform: 'mdm', token: benchToken(t, i), pushMagic: `pm-${i}` }));
    await api(url, operatorKey, 'POST', `/v1/tenants/${tenant.id}/devices:import`, lines.join('\n'), 'application/x-ndjson');
  }
  return { tid: tenant.id, key: operatorKey };
}

/** The q-quantile (0..1) of some values, nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Print rows of strings as a Markdown table under a heading. */
export function printRows(title: string, rows: Array<Record<string, string>>): void {
  if (rows.length === 0) return;
  const header = Object.keys(rows[0]!);
  const widths = header.map((h) => Math.max(h.length, ...rows.map((r) => (r[h] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write([`\n## ${title}\n`, line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map((r) => line(header.map((h) => r[h] ?? ''))), ''].join('\n') + '\n');
}
