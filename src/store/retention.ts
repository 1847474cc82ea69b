import { type Kysely, sql } from 'kysely';
import type { Dialect } from './migrations.ts';
import { FINAL_STATE_CODE, type FinalState, type Schema } from './schema.ts';
import { releaseFreePages } from './sqlite-space.ts';

/** Final states, each with its folded-count column on notifications. */
const FOLDED = {
  delivered: 'foldedDelivered', invalid: 'foldedInvalid', rejected: 'foldedRejected', expired: 'foldedExpired', failed: 'foldedFailed',
} as const satisfies Record<FinalState, string>;

/** A result's stored state code → its folded-count column. */
const FOLDED_BY_CODE = new Map<number, (typeof FOLDED)[FinalState]>(Object.entries(FINAL_STATE_CODE).map(([state, code]) => [code, FOLDED[state as FinalState]]));

export type FoldedState = keyof typeof FOLDED;

/** What one fold did: rows deleted (and counted), and whether the notification has none left. */
export interface FoldResult {
  deleted: number;
  finished: boolean;
}

/** Pages handed back per PRAGMA incremental_vacuum call (4 KiB each: 8 MiB). */
const VACUUM_PAGES = 2048;

/**
 * Retention's storage side: which notifications are past the window, folding a bounded batch
 * of one notification's rows into its counts, and giving the space back.
 */
export function retentionRepository(db: Kysely<Schema>, dialect: Dialect): import('./roles/maintenance.ts').RetentionStore {
  return {
    /**
     * Completed notifications whose per-device rows are still kept and completed before `cutoff`,
     * oldest first. A fan-out still being fed is never complete; the cursor is checked as well,
     * so that a notification marked complete by mistake while members wait is left alone too.
     */
    async due(cutoff: number, limit: number): Promise<Array<{ seq: number; id: string }>> {
      return db.selectFrom('notifications').select(['seq', 'id'])
        .where('detailExpiredAt', 'is', null)
        .where('completedAt', 'is not', null)
        .where('feedCursor', 'is', null)
        .where('completedAt', '<', cutoff)
        .orderBy('completedAt').limit(limit)
        .execute();
    },

    /**
     * Delete up to `limit` results of one notification and add them to its folded counts, in
     * one transaction: a crash leaves them either counted and gone or kept. Only
     * `delivery_results` is read or written: a pending row lives in `delivery_queue`, which
     * retention never deletes from. The counts come from the DELETE's own RETURNING, so a row
     * two workers race for is counted by the one that deleted it. When no result is left, the
     * notification's detail is marked expired — unless rows of it are still queued.
     */
    async fold(seq: number, limit: number, now = Date.now()): Promise<FoldResult> {
      return db.transaction().execute(async (tx) => {
        // PostgreSQL: serialise folds of one notification (SQLite has one writer anyway).
        if (dialect === 'postgres') await sql`SELECT seq FROM notifications WHERE seq = ${seq} FOR UPDATE`.execute(tx);
        const gone = await tx.deleteFrom('deliveryResults')
          .where('notificationSeq', '=', seq)
          .where('id', 'in', (eb) => eb.selectFrom('deliveryResults').select('id')
            .where('notificationSeq', '=', seq)
            .orderBy('notificationSeq').orderBy('id').limit(limit))
          .returning('state')
          .execute();
        const counts = new Map<(typeof FOLDED)[FinalState], number>();
        for (const { state } of gone) {
          const column = FOLDED_BY_CODE.get(Number(state));
          if (!column) throw new Error(`delivery_results: unknown state code ${state}`);
          counts.set(column, (counts.get(column) ?? 0) + 1);
        }
        if (counts.size > 0) {
          await tx.updateTable('notifications')
            .set((eb) => Object.fromEntries([...counts].map(([column, n]) => [column, eb(column, '+', n)])))
            .where('seq', '=', seq)
            .execute();
        }
        let finished = false;
        if (gone.length < limit) {
          // A notification marked complete while rows are still queued or members still to be
          // fed (it should not happen) keeps its detail: those rows will have results to report.
          const left = await tx.selectFrom('deliveryResults').select('id').where('notificationSeq', '=', seq).limit(1).executeTakeFirst()
            ?? await tx.selectFrom('deliveryQueue').select('id').where('notificationSeq', '=', seq).limit(1).executeTakeFirst()
            ?? await tx.selectFrom('notifications').select('seq as id').where('seq', '=', seq).where('feedCursor', 'is not', null).executeTakeFirst();
          if (!left) {
            await tx.updateTable('notifications').set({ detailExpiredAt: now }).where('seq', '=', seq).where('detailExpiredAt', 'is', null).execute();
            finished = true;
          }
        }
        return { deleted: gone.length, finished };
      });
    },

    /**
     * Make deleted results' space usable. PostgreSQL: VACUUM the results now rather than when
     * autovacuum next looks (it runs beside claims, taking no lock they wait for). SQLite: hand
     * free pages back to the file system, a bounded number per statement.
     */
    async reclaim(maxPages = 64 * VACUUM_PAGES): Promise<void> {
      if (dialect === 'postgres') {
        await sql`VACUUM delivery_results`.execute(db);
        return;
      }
      for (let released = 0; released < maxPages;) {
        const n = await releaseFreePages(db, VACUUM_PAGES);
        if (n === 0) break;
        released += n;
      }
    },

    /**
     * PostgreSQL: VACUUM the queue. It holds no row retention may touch, but every claim and
     * every final outcome leaves a dead version in it and in its indexes, which claims then step
     * over; vacuumed once a pass (each minute), the queue stays the size of its backlog. SQLite
     * needs nothing: its deleted rows' pages are reused at once.
     */
    async tidyQueue(): Promise<void> {
      if (dialect === 'postgres') await sql`VACUUM delivery_queue`.execute(db);
    },
  };
}
