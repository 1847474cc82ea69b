// Steady state under retention (README: Retention): the same fan-out to every device, again
// and again, with the window set to a few fan-outs. Once the window has filled, retention
// deletes a fan-out's rows for every one added, so the database should stop growing and the
// queue should go as fast at the end as at the start. Both databases, one table each.
//
// Time is virtual: fan-out r happens at hour r and the window is WINDOW hours, so a run
// exercises days of retention in minutes. What is timed is the queue's own work, the delivery
// worker's cycle (claim a batch, record its outcomes, feed, complete finished notifications) with
// a sender that accepts every push at once: the push services' side is the `service` entry's.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { runRetention } from '../src/delivery/retention.ts';
import { backendCpu, cpuSpent } from './retention/backend-cpu.ts';
import { SQLITE_FILE } from '../src/store/database.ts';
import { openStore, type Store } from '../src/store/store.ts';

// The issue asks for 100,000-device fan-outs; 12 of them take ~8 minutes on the shared 2-core
// machine, so the default is half that size (a factor of 2; CERTPUSH_BENCH_RETENTION_DEVICES=100000
// for the full size — README: Benchmarks has both).
const DEVICES = Number(process.env.CERTPUSH_BENCH_RETENTION_DEVICES ?? 50_000);
const ROUNDS = Number(process.env.CERTPUSH_BENCH_RETENTION_ROUNDS ?? 12);
/** Fan-outs the window holds. */
const WINDOW = Number(process.env.CERTPUSH_BENCH_RETENTION_WINDOW ?? 4);
const BATCH = 1000;
const PG_ADMIN = process.env.CERTPUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

interface Round {
  round: number;
  deliveriesPerSecond: number;
  claimP50Ms: number;
  claimP99Ms: number;
  retentionMs: number;
  rowsKept: number;
  bytes: number;
  deadTuples: number | null;
  /** CPU µs per delivery of the fan-out: this process (the worker's side) and PostgreSQL's backends. */
  clientCpuUs: number;
  serverCpuUs: number | null;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function databaseBytes(store: Store, dataDir: string): Promise<number> {
  if (store.database.dialect === 'postgres') {
    return Number((await sql<{ s: number }>`SELECT pg_database_size(current_database()) AS s`.execute(store.database.db)).rows[0]!.s);
  }
  // The file and its write-ahead log, as the disk sees them.
  return fs.readdirSync(dataDir).filter((f) => f.startsWith(SQLITE_FILE)).reduce((sum, f) => sum + fs.statSync(path.join(dataDir, f)).size, 0);
}

async function deadTuples(store: Store): Promise<number | null> {
  if (store.database.dialect !== 'postgres') return null;
  return Number((await sql<{ n: number }>`SELECT coalesce(sum(n_dead_tup), 0) AS n FROM pg_stat_user_tables WHERE relname IN ('delivery_queue', 'delivery_results')`.execute(store.database.db)).rows[0]?.n ?? 0);
}

async function runBackend(backend: 'sqlite' | 'postgres'): Promise<{ rounds: Round[]; baseBytes: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-bench-retention-'));
  let databaseUrl: string | undefined;
  let dbName = '';
  if (backend === 'postgres') {
    dbName = `certpush_bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(PG_ADMIN);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  const store = await openStore({ dataDir, databaseUrl });
  try {
    const tenant = await store.tenants.create('Steady', T0);
    for (let i = 0; i < DEVICES; i += 10_000) {
      await store.devices.upsertMany(tenant.id, Array.from({ length: Math.min(10_000, DEVICES - i) }, (_, j) => ({ platform: 'mdm' as const, token: crypto.createHash('sha256').update(String(i + j)).digest('hex'), pushMagic: `pm-${i + j}` })), T0);
    }
    const baseBytes = await databaseBytes(store, dataDir);
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const now = T0 + r * HOUR;
      // Retention first, as its every-minute timer would have by now; then the next fan-out.
      const retentionStarted = performance.now();
      await runRetention(store, { holder: 'bench', retentionMs: WINDOW * HOUR - 60_000, now, maxRows: Number.MAX_SAFE_INTEGER });
      const retentionMs = performance.now() - retentionStarted;
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const serverBefore = backend === 'postgres' ? await backendCpu(store.database.db) : null;
      await store.notifications.create({ tenantId: tenant.id, idempotencyKey: null, requestHash: 'h', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, now);
      const claims: number[] = [];
      let delivered = 0;
      for (;;) {
        const claimStarted = performance.now();
        const rows = await store.deliveries.claim({ workerId: `${os.hostname()}:${process.pid}:bench`, limit: BATCH, leaseMs: 60_000, now });
        claims.push(performance.now() - claimStarted);
        // The fan-out is queued a slice at a time: an empty claim feeds before it gives up, as the worker does.
        if (rows.length === 0) {
          if ((await store.notifications.feed(undefined, now)).queued > 0) continue;
          break;
        }
        await store.deliveries.finish(rows.map((d) => ({ id: d.id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), now);
        const ids = [...new Set(rows.map((d) => d.notificationId))];
        await store.notifications.feed(ids, now);
        await store.notifications.completeFinished(ids, now);
        delivered += rows.length;
      }
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const serverMs = serverBefore ? cpuSpent(serverBefore, await backendCpu(store.database.db)) : null;
      if (delivered !== DEVICES) throw new Error(`round ${r}: delivered ${delivered} of ${DEVICES}`);
      const kept = (await sql<{ n: number }>`SELECT (SELECT count(*) FROM delivery_queue) + (SELECT count(*) FROM delivery_results) AS n`.execute(store.database.db)).rows[0]!;
      rounds.push({
        round: r + 1, deliveriesPerSecond: DEVICES / seconds, claimP50Ms: quantile(claims, 0.5), claimP99Ms: quantile(claims, 0.99), retentionMs,
        rowsKept: Number(kept.n), bytes: await databaseBytes(store, dataDir), deadTuples: await deadTuples(store),
        clientCpuUs: (cpu.user + cpu.system) / DEVICES, serverCpuUs: serverMs === null ? null : serverMs * 1000 / DEVICES,
      });
      const last = rounds.at(-1)!;
      process.stderr.write(`# retention bench ${backend} round ${last.round}: ${last.deliveriesPerSecond.toFixed(0)}/s, ${(last.bytes / 1048576).toFixed(1)} MB, CPU µs/delivery client ${last.clientCpuUs.toFixed(1)} server ${last.serverCpuUs?.toFixed(1) ?? '—'}\n`);
    }
    return { rounds, baseBytes };
  } finally {
    await store.close();
    if (dbName) {
      const admin = new pg.Client({ connectionString: PG_ADMIN });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

export async function run(): Promise<void> {
  const wanted = process.env.CERTPUSH_BENCH_RETENTION_BACKENDS?.split(',') ?? ['sqlite', 'postgres'];
  const out: string[] = [`\n## Steady state under retention: ${ROUNDS} fan-outs to ${DEVICES} devices, window ${WINDOW} fan-outs\n`];
  const summary: string[][] = [['database', 'B/delivery, 1st fan-out', 'B/delivery kept, last', 'MB at window fill', 'MB at last', 'size last ÷ fill (≤ 1.10)', 'deliveries/s first', 'deliveries/s last', 'last ÷ first (≥ 0.90)', 'last ÷ first after fill', 'claim p50 ms first → last']];
  for (const backend of wanted as Array<'sqlite' | 'postgres'>) {
    const { rounds, baseBytes } = await runBackend(backend);
    out.push(`### ${backend}\n`, table([
      ['fan-out', 'deliveries/s', 'claim p50 ms', 'claim p99 ms', 'retention pass ms', 'rows kept', 'database MB', 'client CPU µs/delivery', ...(backend === 'postgres' ? ['dead tuples', 'server CPU µs/delivery'] : [])],
      ...rounds.map((r) => [String(r.round), r.deliveriesPerSecond.toFixed(0), r.claimP50Ms.toFixed(2), r.claimP99Ms.toFixed(2), r.retentionMs.toFixed(0), String(r.rowsKept), (r.bytes / 1048576).toFixed(1), r.clientCpuUs.toFixed(1),
        ...(r.deadTuples === null ? [] : [String(r.deadTuples), r.serverCpuUs?.toFixed(1) ?? '—'])]),
    ]), '');
    const first = rounds[0]!;
    const fill = rounds[Math.min(WINDOW, rounds.length) - 1]!;
    const last = rounds.at(-1)!;
    // The first fan-out into a full window: from here on retention deletes as much as is added.
    const steady = rounds[Math.min(WINDOW, rounds.length - 1)]!;
    summary.push([
      backend, ((first.bytes - baseBytes) / DEVICES).toFixed(0), ((last.bytes - baseBytes) / last.rowsKept).toFixed(0), (fill.bytes / 1048576).toFixed(1), (last.bytes / 1048576).toFixed(1), (last.bytes / fill.bytes).toFixed(2),
      first.deliveriesPerSecond.toFixed(0), last.deliveriesPerSecond.toFixed(0), (last.deliveriesPerSecond / first.deliveriesPerSecond).toFixed(2),
      `${(last.deliveriesPerSecond / steady.deliveriesPerSecond).toFixed(2)} (from ${steady.round})`,
      `${first.claimP50Ms.toFixed(2)} → ${last.claimP50Ms.toFixed(2)}`,
    ]);
  }
  out.push(table(summary), '');
  process.stdout.write(`${out.join('\n')}\n`);
}
