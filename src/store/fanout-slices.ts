import { type CompiledQuery, type Expression, type Kysely, sql } from 'kysely';
import type { Platform } from './devices.ts';
import type { Dialect } from './migrations.ts';
import type { Schema } from './schema.ts';

/**
 * Rows one slice of an `all` fan-out puts in the queue (README: Design, "The queue and the
 * results"). The queue is topped up with the next slice once fewer than half a slice of the
 * notification's rows are left, so it holds at most 1.5 slices per notification being fed, and a
 * fan-out's queue space is that, not one row per device.
 *
 * Why 2,000: two claim batches (the worker's 1,000 rows × its 2 slots). The top-up comes when
 * fewer than 1,000 rows are left, i.e. while the other slot still has a batch to send, so a
 * worker sending one tenant's fan-out alone never finds the queue dry; should it find it dry all
 * the same (a second worker, a larger batch), the empty claim feeds before it waits (worker.ts).
 * Measured on the service benchmark (README: Delivery): the fan-out's deliveries/s within noise
 * of queueing every device at once.
 */
export const FANOUT_SLICE = 2000;

/** The slice size: FANOUT_SLICE, or CERTPUSH_FANOUT_SLICE (for tests: a fan-out of several slices from a few devices). */
export function fanoutSlice(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.CERTPUSH_FANOUT_SLICE;
  if (given === undefined || given === '') return FANOUT_SLICE;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 2 || n > 1_000_000) throw new Error(`CERTPUSH_FANOUT_SLICE must be a whole number of rows from 2 to 1000000; got "${given}".`);
  return n;
}

/** Which devices an `all` fan-out is for, fixed at its creation. */
export interface Membership {
  tenantId: string;
  platforms: Platform[];
  /** The notification's creation time: a device invalidated after it is still a member. */
  createdAt: number;
  /**
   * The newest member's registration time (`created_at`), read at the creation: a device
   * registered later is not a member. Null for the first slice, queued by the creation itself.
   */
  until: number | null;
}

/** Columns written to delivery_queue by a fan-out. */
export const QUEUE_ROW_COLUMNS = ['notificationSeq', 'tenantId', 'deviceId', 'attempts', 'nextAttemptAt', 'updatedAt'] as const;

/**
 * A tenant's devices of these platforms as new delivery-queue rows of the notification
 * `notificationSeq` (QUEUE_ROW_COLUMNS, due `now`): what a slice and an explicit id list narrow.
 */
export function queueRowsOf(db: Kysely<Schema>, notificationSeq: Expression<unknown>, tenantId: string, platforms: Platform[], now: number) {
  return db.selectFrom('devices')
    .select((eb) => [
      // Typed here: PostgreSQL reads an untyped value in a select list as text.
      sql<number>`cast((${notificationSeq}) as bigint)`.as('notificationSeq'),
      'tenantId',
      eb.ref('id').as('deviceId'),
      sql<number>`0`.as('attempts'),
      eb.val(now).as('nextAttemptAt'),
      eb.val(now).as('updatedAt'),
    ])
    .where('tenantId', '=', tenantId)
    .where('platform', 'in', platforms);
}

/**
 * The members of a fan-out, as delivery-queue rows, in `(tenant_id, id)` order after `after`
 * (null: from the first), at most `limit` of them. The first slice is queued in the creation's
 * transaction: its members are the tenant's valid devices of the platforms, as today. Later
 * slices take the same set as it was then: registered by `until` (device ids are random, so
 * the bound is the registration time, read from the devices themselves rather than this
 * process's clock), and valid at the creation — a device invalidated since is still fed, and the
 * worker records it `invalid` (DeviceInvalid), as it always has for a device invalidated after
 * the fan-out; one deleted since is gone and skipped. The walk reads an index on (tenant_id, id)
 * in order and stops after `limit` members.
 */
export function memberRows(db: Kysely<Schema>, notificationSeq: Expression<unknown>, members: Membership, after: string | null, limit: number, now: number) {
  let select = queueRowsOf(db, notificationSeq, members.tenantId, members.platforms, now);
  if (members.until === null) select = select.where('invalidAt', 'is', null);
  else {
    select = select.where('createdAt', '<=', members.until)
      .where((eb) => eb.or([eb('invalidAt', 'is', null), eb('invalidAt', '>', members.createdAt)]));
  }
  if (after !== null) select = select.where('id', '>', after);
  return select.orderBy('tenantId').orderBy('id').limit(limit);
}

/**
 * PostgreSQL, for the rest of the transaction: walk the devices in index order rather than
 * sort them. Devices arrive in bulk imports between two ANALYZEs; with the estimate of a table
 * that was nearly empty, the planner read a tenant's every remaining device through its
 * (tenant_id, platform, token) index and sorted them for the first 2,000 (216 ms for a slice of
 * 50,000 devices) instead of walking (tenant_id, id) and stopping (16 ms with fresh statistics).
 * A setting, not a function as for the claim: it must hold for an INSERT … SELECT.
 */
export function orderedWalk(db: Kysely<Schema>): CompiledQuery {
  return sql`SELECT set_config('enable_sort', 'off', true)`.compile(db);
}

/** A notification still being fed, as the feeder reads it. */
export interface Feeding extends Membership {
  seq: number;
  id: string;
  until: number;
  /** The last device id queued. */
  cursor: string;
  /** Rows queued so far. */
  fed: number;
}

/**
 * The statements that queue the next slice of `n` and advance its cursor, all in one
 * transaction (runAtomically). A compare-and-set on the cursor: the insert and the update both
 * require the cursor `n` was read with, so of two feeders that read the same cursor exactly one
 * queues the slice; the other's statements match nothing. PostgreSQL first locks the
 * notification's row, so the second waits for the first's commit and then sees the new cursor
 * (each statement of the batch takes a new snapshot); SQLite has one writer.
 *
 * The update counts what the insert queued (the notification's queued rows past the old cursor:
 * every earlier slice lies at or before it) and ends the feeding when a slice came back short:
 * the cursor goes to null and `total` becomes the rows queued in all, which leaves out members
 * deleted before their slice. While feeding, `total` is never below the rows queued (a device
 * that was invalid at the creation and valid again since is a member: it may add one).
 */
export function nextSliceQueries(db: Kysely<Schema>, dialect: Dialect, n: Feeding, slice: number, now: number): CompiledQuery[] {
  const queries: CompiledQuery[] = [];
  if (dialect === 'postgres') {
    queries.push(sql`SELECT seq FROM notifications WHERE seq = ${n.seq} FOR UPDATE`.compile(db));
    queries.push(orderedWalk(db));
  }
  const rows = memberRows(db, sql<number>`${n.seq}`, n, n.cursor, slice, now)
    .where((eb) => eb.exists(eb.selectFrom('notifications as cas').select('cas.seq').where('cas.seq', '=', n.seq).where('cas.feedCursor', '=', n.cursor)));
  queries.push(db.insertInto('deliveryQueue')
    .columns(QUEUE_ROW_COLUMNS)
    .expression(rows)
    .compile());
  const greatest = sql.raw(dialect === 'postgres' ? 'GREATEST' : 'MAX');
  queries.push(sql`
    UPDATE notifications
    SET fed = fed + s.k,
        total = CASE WHEN s.k < ${slice} THEN fed + s.k ELSE ${greatest}(total, fed + s.k) END,
        feed_cursor = CASE WHEN s.k < ${slice} THEN NULL ELSE s.last END
    FROM (SELECT count(*) AS k, max(device_id) AS last FROM delivery_queue WHERE notification_seq = ${n.seq} AND device_id > ${n.cursor}) AS s
    WHERE seq = ${n.seq} AND feed_cursor = ${n.cursor}
    RETURNING fed, feed_cursor IS NULL AS ended`.compile(db));
  return queries;
}
