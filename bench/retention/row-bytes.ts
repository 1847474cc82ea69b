// Bytes per delivery row after one fan-out of N devices, delivered, on both databases — the
// before/after of README: Design, "Leaner delivery rows". Run by hand against any checkout:
//   node bench/retention/row-bytes.ts /path/to/certpush-checkout   (N=100000 by default)
// SQLite: file growth after a WAL checkpoint. PostgreSQL: pg_database_size growth, the live
// tuple, heap and index bytes per table (`deliveries` before migration 0007; `delivery_queue` and
// `delivery_results` after it), and what a second fan-out adds once VACUUM made the first's dead
// row versions reusable.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const root = process.argv[2]!;
const { openStore } = await import(path.join(root, 'src/store/store.ts'));
const { sql } = await import(path.join(root, 'node_modules/kysely/dist/esm/index.js'));
const pg = (await import(path.join(root, 'node_modules/pg/lib/index.js'))).default;
const N = Number(process.env.N ?? 100000);
const ADMIN = process.env.CERTPUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
for (const backend of ['sqlite', 'postgres']) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-'));
  let url = '';
  let name = '';
  if (backend === 'postgres') {
    name = `certpush_rowbytes_${crypto.randomBytes(4).toString('hex')}`;
    const a = new pg.Client({ connectionString: ADMIN }); await a.connect(); await a.query(`CREATE DATABASE ${name}`); await a.end();
    const u = new URL(ADMIN);
    u.pathname = `/${name}`;
    url = u.toString();
  }
  const store = await openStore({ dataDir: dir, databaseUrl: url || undefined });
  const db = store.database.db;
  const t = await store.tenants.create('bench');
  for (let i = 0; i < N; i += 10000) await store.devices.upsertMany(t.id, Array.from({ length: Math.min(10000, N - i) }, (_, j) => ({ platform: 'mdm' as const, token: crypto.createHash('sha256').update(String(i + j)).digest('hex'), pushMagic: `pm-${i + j}` })), 1);
  const size = async () => {
    if (backend === 'sqlite') { await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db); const r = await sql`SELECT (SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size()) AS s`.execute(db); return Number(Object.values(r.rows[0] as object)[0]); }
    const r = await sql`SELECT pg_database_size(current_database()) AS s`.execute(db); return Number(Object.values(r.rows[0] as object)[0]);
  };
  const before = await size();
  const n = await store.notifications.create({ tenantId: t.id, idempotencyKey: null, requestHash: 'x', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 1000);
  let done = 0;
  for (;;) {
    const rows = await store.deliveries.claim({ workerId: `${os.hostname()}:12345:abcdef`, limit: 1000, leaseMs: 60000, now: 2000 });
    // Fed a slice at a time (src/store/fanout-slices.ts), as the worker does.
    if (!rows.length) { if ((await store.notifications.feed([n.id], 2000)).queued > 0) continue; break; }
    await store.deliveries.finish(rows.map((r: any) => ({ id: r.id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), 2000);
    await store.notifications.feed([n.id], 2000);
    await store.notifications.completeFinished([n.id], 2000);
    done += rows.length;
  }
  const after = await size();
  let extra = '';
  if (backend === 'postgres') {
    const q = async (s: any) => Object.values((await s.execute(db)).rows[0] as object).map(Number);
    const split = (await q(sql`SELECT count(*) FROM pg_class WHERE relname = 'delivery_results' AND relkind = 'r'`))[0] === 1;
    const tables = split ? ['delivery_queue', 'delivery_results'] : ['deliveries'];
    const parts: string[] = [];
    for (const table of tables) {
      const [tuple] = await q(sql`SELECT coalesce(avg(pg_column_size(d.*)), 0) FROM ${sql.table(table)} d`);
      const [rel, idx] = await q(sql`SELECT pg_relation_size(${table}), pg_indexes_size(${table})`);
      parts.push(`${table}: tuple ${tuple!.toFixed(0)} B, heap ${(rel! / done).toFixed(0)} B + indexes ${(idx! / done).toFixed(0)} B per delivery`);
    }
    await sql`VACUUM ${sql.raw(tables.join(', '))}`.execute(db);
    const [afterVacuum] = await q(sql`SELECT ${sql.raw(tables.map((t) => `pg_total_relation_size('${t}')`).join(' + '))}`);
    // What a second fan-out adds once the first's dead versions are reusable.
    const before2 = await size();
    const n2 = await store.notifications.create({ tenantId: t.id, idempotencyKey: null, requestHash: 'x', payload: '{"mdm":true}', expiresAt: null, platforms: ['mdm'], devices: 'all' }, 3000);
    for (;;) {
      const rows = await store.deliveries.claim({ workerId: `${os.hostname()}:12345:abcdef`, limit: 1000, leaseMs: 60000, now: 4000 });
      // Fed a slice at a time (src/store/fanout-slices.ts), as the worker does.
      if (!rows.length) { if ((await store.notifications.feed([n2.id], 4000)).queued > 0) continue; break; }
      await store.deliveries.finish(rows.map((r: any) => ({ id: r.id, state: 'delivered' as const, lastClass: 'delivered', lastStatus: 200, lastReason: null })), 4000);
      await store.notifications.feed([n2.id], 4000);
      await store.notifications.completeFinished([n2.id], 4000);
    }
    const after2 = await size();
    extra = ` | ${parts.join(' | ')} | tables after VACUUM ${(afterVacuum! / done).toFixed(0)} B | 2nd fan-out after VACUUM adds ${((after2 - before2) / done).toFixed(0)} B`;
  }
  console.log(`${backend} | ${done} | database growth ${((after - before) / done).toFixed(0)} B/delivery${extra}`);
  await store.close();
  if (name) {
    const a = new pg.Client({ connectionString: ADMIN });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await a.end();
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
