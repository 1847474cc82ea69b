import { type CompiledQuery, type Kysely, type Selectable, sql } from 'kysely';
import { type AtomicRunner, runAtomically } from './atomic.ts';
import type { NotificationTable, Schema } from './schema.ts';
import type { Platform } from './devices.ts';
import { newId } from './ids.ts';

export type Notification = Selectable<NotificationTable>;

export interface NewNotification {
  tenantId: string;
  idempotencyKey: string | null;
  requestHash: string;
  payload: string;
  expiresAt: number | null;
  /** Which platforms have a payload: only their devices receive a delivery row. */
  platforms: Platform[];
  /** Explicit device ids (already checked to belong to the tenant), or every active device. */
  devices: string[] | 'all';
}

const ID_BATCH = 500;

export function notificationsRepository(db: Kysely<Schema>, atomic?: AtomicRunner) {
  return {
    /**
     * Create a notification and fan it out into one pending delivery row per active device of
     * its platforms, in one transaction: a crash leaves either all rows or none. The fan-out is
     * INSERT … SELECT, so 100,000 devices never pass through this process.
     */
    async create(input: NewNotification, now = Date.now()): Promise<Notification> {
      const notification: Notification = {
        id: newId('ntf'), tenantId: input.tenantId, idempotencyKey: input.idempotencyKey, requestHash: input.requestHash,
        payload: input.payload, expiresAt: input.expiresAt, createdAt: now, total: 0, completedAt: null,
      };
      // No statement needs another's result, so the whole transaction goes to the database at
      // once (runAtomically: on SQLite one message to its writer thread).
      const queries: CompiledQuery[] = [db.insertInto('notifications').values(notification).compile()];
      const batches = input.devices === 'all' ? [null] : chunk(input.devices, ID_BATCH);
      for (const ids of batches) {
        if (input.platforms.length === 0 || (ids && ids.length === 0)) continue;
        let select = db.selectFrom('devices')
          .select((eb) => [
            eb.val(notification.id).as('notificationId'),
            'tenantId',
            eb.ref('id').as('deviceId'),
            sql<'pending'>`'pending'`.as('state'),
            sql<number>`0`.as('attempts'),
            eb.val(now).as('nextAttemptAt'),
            eb.val(now).as('updatedAt'),
          ])
          .where('tenantId', '=', input.tenantId)
          .where('invalidAt', 'is', null)
          .where('platform', 'in', input.platforms);
        if (ids) select = select.where('id', 'in', ids);
        queries.push(db.insertInto('deliveries')
          .columns(['notificationId', 'tenantId', 'deviceId', 'state', 'attempts', 'nextAttemptAt', 'updatedAt'])
          .expression(select)
          .compile());
      }
      queries.push(db.updateTable('notifications')
        .set((eb) => ({ total: eb.selectFrom('deliveries').select((e) => e.fn.countAll<number>().as('n')).where('notificationId', '=', notification.id) }))
        .where('id', '=', notification.id)
        .returning('total')
        .compile());
      // Nothing to deliver: complete at once.
      queries.push(db.updateTable('notifications').set({ completedAt: now }).where('id', '=', notification.id).where('total', '=', 0).compile());
      const results = await runAtomically(db, atomic, queries);
      notification.total = Number(results.at(-2)!.rows[0]!.total);
      notification.completedAt = notification.total === 0 ? now : null;
      return notification;
    },
    async get(tenantId: string, id: string): Promise<Notification | undefined> {
      return db.selectFrom('notifications').selectAll().where('tenantId', '=', tenantId).where('id', '=', id).executeTakeFirst();
    },
    async byIdempotencyKey(tenantId: string, key: string): Promise<Notification | undefined> {
      return db.selectFrom('notifications').selectAll().where('tenantId', '=', tenantId).where('idempotencyKey', '=', key).executeTakeFirst();
    },
    async list(tenantId: string, limit = 50): Promise<Notification[]> {
      return db.selectFrom('notifications').selectAll().where('tenantId', '=', tenantId).orderBy('createdAt', 'desc').limit(limit).execute();
    },
    /** Count of deliveries by state and last outcome class. */
    async counts(notificationId: string): Promise<Array<{ state: string; lastClass: string | null; n: number }>> {
      const rows = await db.selectFrom('deliveries')
        .select((eb) => ['state', 'lastClass', eb.fn.countAll<number>().as('n')])
        .where('notificationId', '=', notificationId)
        .groupBy(['state', 'lastClass'])
        .execute();
      return rows.map((r) => ({ state: r.state, lastClass: r.lastClass, n: Number(r.n) }));
    },
    /** Delivered rows per second (for the console's chart). */
    async timeline(notificationId: string): Promise<Array<{ second: number; n: number }>> {
      const rows = await db.selectFrom('deliveries')
        .select((eb) => [sql<number>`(updated_at / 1000)`.as('second'), eb.fn.countAll<number>().as('n')])
        .where('notificationId', '=', notificationId)
        .where('state', '=', 'delivered')
        .groupBy(sql`(updated_at / 1000)`)
        .orderBy(sql`(updated_at / 1000)`)
        .execute();
      return rows.map((r) => ({ second: Math.floor(Number(r.second)), n: Number(r.n) }));
    },
    /** One page of per-device results. */
    async results(notificationId: string, after: number, limit: number) {
      return db.selectFrom('deliveries')
        .leftJoin('devices', 'devices.id', 'deliveries.deviceId')
        .select(['deliveries.id', 'deliveries.deviceId', 'devices.platform', 'devices.token', 'deliveries.state', 'deliveries.attempts',
          'deliveries.lastClass', 'deliveries.lastStatus', 'deliveries.lastReason', 'deliveries.updatedAt', 'deliveries.nextAttemptAt'])
        .where('deliveries.notificationId', '=', notificationId)
        .where('deliveries.id', '>', after)
        .orderBy('deliveries.id')
        .limit(limit)
        .execute();
    },
    /** Mark notifications whose rows are all final as completed; returns the ones just completed. */
    async completeFinished(ids: string[], now = Date.now()): Promise<Notification[]> {
      if (ids.length === 0) return [];
      return db.updateTable('notifications')
        .set({ completedAt: now })
        .where('id', 'in', ids)
        .where('completedAt', 'is', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('deliveries').select('deliveries.id')
          .whereRef('deliveries.notificationId', '=', 'notifications.id').where('deliveries.state', '=', 'pending'))))
        .returningAll()
        .execute();
    },
  };
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
