import type { Kysely } from 'kysely';
import type { Schema } from './schema.ts';

/**
 * Named leases: a job only one process may run at a time (retention) takes its lease before
 * working and extends it as it goes. A holder that dies simply stops extending it; once
 * `until` passes anyone may take it. One row per name, the same on SQLite and PostgreSQL.
 */
export function leasesRepository(db: Kysely<Schema>): import('./roles/maintenance.ts').LeaseStore {
  return {
    /** Take the lease, or extend it if `holder` has it already; false while someone else holds it. */
    async acquire(name: string, holder: string, ms: number, now = Date.now()): Promise<boolean> {
      const row = await db.insertInto('leases').values({ name, holder, until: now + ms })
        .onConflict((oc) => oc.column('name')
          .doUpdateSet({ holder, until: now + ms })
          .where((eb) => eb.or([eb('leases.until', '<=', now), eb('leases.holder', '=', holder)])))
        .returning('holder')
        .executeTakeFirst();
      return row?.holder === holder;
    },
    /** Give the lease back early (a finished pass), if `holder` still has it. */
    async release(name: string, holder: string): Promise<void> {
      await db.updateTable('leases').set({ until: 0 }).where('name', '=', name).where('holder', '=', holder).execute();
    },
  };
}
