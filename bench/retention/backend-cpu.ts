// CPU time the PostgreSQL server spent for one database: the sum of utime + stime
// (/proc/<pid>/stat) of its backends, by pid. Wall-clock on a shared 2-core machine measures the
// neighbours as much as the queue; CPU time spent on the queue's statements does not.
import fs from 'node:fs';
import { type Kysely, sql } from 'kysely';

const TICK_MS = 1000 / 100; // USER_HZ: 100 on Linux.

/** CPU ms so far per backend pid of the current database (empty when /proc is not readable: a remote server). */
export async function backendCpu(db: Kysely<any>): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Fields after the command (which may hold spaces) start at ") ": utime is the 14th field, stime the 15th.
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(Number(pid), (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch { /* gone, or not on this machine */ }
  }
  return out;
}

/** CPU ms the backends spent between two readings (a backend that started in between counts from zero). */
export function cpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}
