import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema.ts';
import type { MpnsQuotaStore } from './roles/quota.ts';

/** Per-subscription, per-UTC-day counts of unauthenticated MPNS notifications. */
export function mpnsQuotaRepository(db: Kysely<Schema>): MpnsQuotaStore {
  return {
    /**
     * Count one notification unless `limit` is reached, atomically: the conditional upsert is
     * one statement, so two workers can never both take the 500th.
     */
    async take(subscription: string, day: string, limit: number): Promise<{ taken: boolean; used: number }> {
      if (limit <= 0) return { taken: false, used: 0 };
      const { rows } = await sql<{ used: number }>`
        INSERT INTO mpns_quota (subscription, day, used) VALUES (${subscription}, ${day}, 1)
        ON CONFLICT (subscription, day) DO UPDATE SET used = mpns_quota.used + 1 WHERE mpns_quota.used < ${limit}
        RETURNING used`.execute(db);
      if (rows.length > 0) return { taken: true, used: Number(rows[0]!.used) };
      const row = await db.selectFrom('mpnsQuota').select('used').where('subscription', '=', subscription).where('day', '=', day).executeTakeFirst();
      return { taken: false, used: Number(row?.used ?? limit) };
    },
    /** MPNS answered 406: the subscription is used up for the day, whatever we counted. */
    async exhaust(subscription: string, day: string, limit: number): Promise<void> {
      await sql`
        INSERT INTO mpns_quota (subscription, day, used) VALUES (${subscription}, ${day}, ${limit})
        ON CONFLICT (subscription, day) DO UPDATE SET used = CASE WHEN mpns_quota.used > ${limit} THEN mpns_quota.used ELSE ${limit} END`.execute(db);
    },
    /** Forget days before `day`. */
    async prune(day: string): Promise<void> {
      await db.deleteFrom('mpnsQuota').where('day', '<', day).execute();
    },
  };
}
