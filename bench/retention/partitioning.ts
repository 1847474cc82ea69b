// The measurement behind README: Design, "Retention deletes in batches": on PostgreSQL,
// batched DELETEs + VACUUM against time (id-range) partitions dropped whole. Run by hand:
//   node bench/retention/partitioning.ts      (CERTPUSH_TEST_DATABASE_URL, PARTITION_ROWS)
// It builds both layouts side by side in a scratch database with the lean deliveries row,
// 6 fan-outs of PARTITION_ROWS final rows plus one pending fan-out over 10 tenants, then times
// the claim query on each, retiring the oldest fan-out, and the claim again.
import crypto from 'node:crypto';
import pg from 'pg';

const ADMIN = process.env.CERTPUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROWS = Number(process.env.PARTITION_ROWS ?? 100_000);
const FANOUTS = 6;

const name = `certpush_partitioning_${crypto.randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN);
url.pathname = `/${name}`;
const db = new pg.Client({ connectionString: url.toString() });
await db.connect();

const columns = `id bigint NOT NULL, notification_seq bigint NOT NULL, next_attempt_at bigint NOT NULL, updated_at bigint NOT NULL,
  attempts smallint NOT NULL DEFAULT 0, last_status smallint, tenant_id text NOT NULL, device_id text NOT NULL, state text NOT NULL,
  leased_by text, last_class text, last_reason text`;
async function indexes(table: string) {
  await db.query(`CREATE INDEX ${table}_due ON ${table} (tenant_id, next_attempt_at, id) WHERE state = 'pending'`);
  await db.query(`CREATE INDEX ${table}_pending_by_notification ON ${table} (notification_seq) WHERE state = 'pending'`);
  await db.query(`CREATE INDEX ${table}_notification ON ${table} (notification_seq, id)`);
}
await db.query(`CREATE TABLE d_plain (${columns}, PRIMARY KEY (id))`);
await indexes('d_plain');
await db.query(`CREATE TABLE d_part (${columns}, PRIMARY KEY (id)) PARTITION BY RANGE (id)`);
for (let p = 0; p <= FANOUTS; p++) await db.query(`CREATE TABLE d_part_${p} PARTITION OF d_part FOR VALUES FROM (${p * ROWS + 1}) TO (${(p + 1) * ROWS + 1})`);
await indexes('d_part');
for (const table of ['d_plain', 'd_part']) {
  // Fan-outs 0..5 delivered, fan-out 6 pending, each over 10 tenants.
  await db.query(`INSERT INTO ${table} SELECT i, (i - 1) / ${ROWS}, 1000, 1000, 1, 200, 'ten_' || (i % 10), 'dev_' || md5(i::text), 'delivered', 'host:1234:abcdef', 'delivered', NULL
                  FROM generate_series(1, ${FANOUTS * ROWS}) i`);
  await db.query(`INSERT INTO ${table} SELECT i, ${FANOUTS}, 1000, 1000, 0, NULL, 'ten_' || (i % 10), 'dev_' || md5(i::text), 'pending', NULL, NULL, NULL
                  FROM generate_series(${FANOUTS * ROWS + 1}, ${(FANOUTS + 1) * ROWS}) i`);
  await db.query(`VACUUM ANALYZE ${table}`);
}

/** The claim of src/store/deliveries.ts (find tenants, then 100 rows each), rolled back, median of 15. */
async function claimMs(table: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const started = performance.now();
    await db.query('BEGIN');
    const { rows } = await db.query(`WITH RECURSIVE t(tenant_id) AS (
        SELECT MIN(tenant_id) FROM ${table} WHERE state = 'pending' AND next_attempt_at <= 2000
        UNION ALL SELECT (SELECT MIN(d.tenant_id) FROM ${table} d WHERE d.state = 'pending' AND d.next_attempt_at <= 2000 AND d.tenant_id > t.tenant_id) FROM t WHERE t.tenant_id IS NOT NULL)
      SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL`);
    await db.query(`UPDATE ${table} SET next_attempt_at = 62000, leased_by = 'w' WHERE id IN (
        SELECT d.id FROM unnest($1::text[]) AS t(tenant_id) CROSS JOIN LATERAL (
          SELECT id FROM ${table} WHERE tenant_id = t.tenant_id AND state = 'pending' AND next_attempt_at <= 2000 ORDER BY next_attempt_at, id LIMIT 100 FOR UPDATE SKIP LOCKED) d)`, [rows.map((r) => r.tenant_id)]);
    await db.query('ROLLBACK');
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[7]!;
}

async function walBytes<T>(work: () => Promise<T>): Promise<{ ms: number; wal: number }> {
  const before = (await db.query('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const wal = Number((await db.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS d', [before])).rows[0].d);
  return { ms, wal };
}

const size = async (table: string) => Number((await db.query(`SELECT sum(pg_total_relation_size(c.oid)) AS s FROM pg_class c WHERE c.relname = $1 OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass)`, [table])).rows[0].s);
const results: string[][] = [['layout', 'claim ms before', 'retire one fan-out ms', 'WAL MB', 'then VACUUM ms', 'claim ms after', 'MB before → after']];
for (const table of ['d_plain', 'd_part']) {
  const claimBefore = await claimMs(table);
  const sizeBefore = await size(table);
  let vacuumMs = 0;
  const retire = await walBytes(async () => {
    if (table === 'd_plain') {
      // Retention's batches: 2,000 rows a statement, counted from RETURNING (README: Retention).
      for (;;) {
        const { rowCount } = await db.query(`DELETE FROM d_plain WHERE id IN (SELECT id FROM d_plain WHERE notification_seq = 0 AND state <> 'pending' ORDER BY id LIMIT 2000) RETURNING state`);
        if (!rowCount) break;
      }
    } else {
      // A partition is folded by one aggregate, then dropped whole.
      await db.query(`SELECT state, count(*) FROM d_part_0 GROUP BY state`);
      await db.query(`DROP TABLE d_part_0`);
    }
  });
  if (table === 'd_plain') {
    const started = performance.now();
    await db.query('VACUUM d_plain');
    vacuumMs = performance.now() - started;
  }
  const claimAfter = await claimMs(table);
  results.push([table === 'd_plain' ? 'one table, batched DELETE' : `${FANOUTS + 1} id-range partitions, DROP`, claimBefore.toFixed(2), retire.ms.toFixed(0), (retire.wal / 1048576).toFixed(1),
    table === 'd_plain' ? vacuumMs.toFixed(0) : '—', claimAfter.toFixed(2), `${(sizeBefore / 1048576).toFixed(0)} → ${((await size(table)) / 1048576).toFixed(0)}`]);
}
await db.end();
await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
await admin.end();
const widths = results[0]!.map((_, i) => Math.max(...results.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log([`## Retiring one of ${FANOUTS} fan-outs of ${ROWS} rows (plus one pending fan-out, 10 tenants)`, '', line(results[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...results.slice(1).map(line)].join('\n'));
