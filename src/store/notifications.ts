import { type CompiledQuery, type Kysely, type Selectable, sql } from 'kysely';
import { type AtomicRunner, runAtomically } from './atomic.ts';
import { type Feeding, fanoutSlice, type Membership, memberRows, nextSliceQueries, orderedWalk, QUEUE_ROW_COLUMNS, queueRowsOf } from './fanout-slices.ts';
import type { Dialect } from './migrations.ts';
import { type DeliveryState, FINAL_STATE_CODE, type NotificationTable, type Schema } from './schema.ts';
import type { Platform } from './devices.ts';
import { newId } from './ids.ts';
import { prepareStatements } from './prepared-query.ts';
import type { QueueSignal } from './queue-signal.ts';

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

/** PostgreSQL: the queue is vacuumed after this many slices fed by this process (`feed`). */
const VACUUM_EVERY_SLICES = 4;

export interface CreateOptions {
  /** Record this audit entry in the same transaction; `total` is added to its detail. */
  audit?: { actor: string; action: string; detail?: Record<string, unknown> };
  /** Wake the workers once the rows are committed (in the transaction when the signal can). */
  queue?: QueueSignal;
}

export function notificationsRepository(db: Kysely<Schema>, dialect: Dialect, atomic?: AtomicRunner, slice = fanoutSlice()): import('./roles/delivery-queue.ts').NotificationStore {
  /** Rows this process fed since it last vacuumed the queue (PostgreSQL; see `feed`). */
  let fedSinceVacuum = 0;
  /** A creation's compiled statements, by shape (creationStatements; at most 2 · 4 · 9 · 2 of them). */
  const templates = new Map<string, (values: Record<string, unknown>) => CompiledQuery[]>();
  function creationTemplate(shape: CreationShape) {
    const key = `${shape.all}:${shape.platforms}:${shape.devices}:${shape.audit}`;
    let template = templates.get(key);
    if (!template) templates.set(key, (template = prepareStatements((param) => creationStatements(db, dialect, slice, shape, param))));
    return template;
  }
  return {
    /**
     * Create a notification and queue its deliveries, one pending row per device of its
     * platforms, in one transaction: a crash leaves either the notification and its rows or
     * nothing. Explicit device ids are queued whole; `all` queues its first slice and keeps a
     * cursor for the rest (`feed`), `total` still counting every member. The rows come from
     * INSERT … SELECT, so devices never pass through this process. The audit entry and the
     * workers' wake-up go in the same transaction (`options`): on PostgreSQL a send is one
     * commit — one WAL flush — rather than three.
     */
    async create(input: NewNotification, now = Date.now(), options: CreateOptions = {}): Promise<Notification> {
      const id = newId('ntf');
      const all = input.devices === 'all' && input.platforms.length > 0;
      const ids = input.devices === 'all' || input.platforms.length === 0 ? [] : input.devices;
      const audit = options.audit;
      const values: Record<string, unknown> = {
        id, tenantId: input.tenantId, idempotencyKey: input.idempotencyKey, requestHash: input.requestHash,
        payload: input.payload, expiresAt: input.expiresAt, now, feedPlatforms: all ? input.platforms.join(',') : null,
      };
      input.platforms.forEach((platform, i) => { values[`platform${i}`] = platform; });
      ids.forEach((device, i) => { values[`device${i}`] = device; });
      if (audit) {
        // The entry's detail names the total, which only the database knows by now: the JSON is
        // built around it (an integer's decimal text is valid JSON).
        const rest = JSON.stringify(audit.detail ?? {}).slice(1);
        Object.assign(values, {
          actor: audit.actor, action: audit.action,
          auditHead: `${JSON.stringify({ notificationId: id }).slice(0, -1)},"total":`, auditTail: rest === '}' ? '}' : `,${rest}`,
        });
      }
      const shape: CreationShape = { all, platforms: input.platforms.length, devices: ids.length, audit: audit !== undefined };
      // The few shapes a send takes (one device, a handful, or all) are compiled once; a long
      // id list is compiled for itself, its rows costing more than its compilation.
      const queries = shape.devices <= PREPARED_DEVICES
        ? creationTemplate(shape)(values)
        : creationStatements(db, dialect, slice, shape, (name) => values[name]);
      // No statement needs another's result in JavaScript, so the whole transaction goes to the
      // database at once (runAtomically: on SQLite one message to its writer thread). The
      // workers' wake-up (PostgreSQL's NOTIFY) commits with it, before the last statement.
      const wake = options.queue?.onCommit;
      if (wake) queries.splice(queries.length - 1, 0, wake);
      const results = await runAtomically(db, atomic, queries);
      const notification = camelCased(results.at(-1)!.rows[0]!) as Notification;
      // Wake the workers now rather than at their next poll. The rows are committed either way:
      // a lost signal only costs the poll interval, so it never fails the request.
      if (options.queue && !wake && notification.total > 0) await options.queue.notify().catch(() => {});
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
    /**
     * Count of the deliveries still kept, by state and last outcome class (retention's folded
     * counts are on the notification itself): the queued rows are pending, the results final,
     * and so are the members of a fan-out still being fed that are not queued yet (`total − fed`).
     * One statement, so one snapshot: a row moving from the queue to the results, or a slice
     * being queued, is counted once, and the counts add up to `total` at every moment.
     * `seq` is the notification's.
     */
    async counts(seq: number): Promise<Array<{ state: string; lastClass: string | null; n: number }>> {
      const { rows } = await sql<{ state: number | null; lastClass: string | null; n: number }>`
        SELECT NULL AS state, last_class, count(*) AS n FROM delivery_queue WHERE notification_seq = ${seq} GROUP BY last_class
        UNION ALL
        SELECT state, last_class, count(*) AS n FROM delivery_results WHERE notification_seq = ${seq} GROUP BY state, last_class
        UNION ALL
        SELECT NULL AS state, NULL AS last_class, total - fed AS n FROM notifications WHERE seq = ${seq} AND feed_cursor IS NOT NULL`.execute(db);
      return rows.filter((r) => Number(r.n) > 0).map((r) => {
        if (r.state === null) return { state: 'pending', lastClass: r.lastClass, n: Number(r.n) };
        const state = stateOf(r.state);
        return { state, lastClass: r.lastClass ?? state, n: Number(r.n) };
      });
    },
    /** Delivered rows per second (for the console's chart). */
    async timeline(seq: number): Promise<Array<{ second: number; n: number }>> {
      const rows = await db.selectFrom('deliveryResults')
        .select((eb) => [sql<number>`(updated_at / 1000)`.as('second'), eb.fn.countAll<number>().as('n')])
        .where('notificationSeq', '=', seq)
        .where('state', '=', FINAL_STATE_CODE.delivered)
        .groupBy(sql`(updated_at / 1000)`)
        .orderBy(sql`(updated_at / 1000)`)
        .execute();
      return rows.map((r) => ({ second: Math.floor(Number(r.second)), n: Number(r.n) }));
    },
    /**
     * One page of per-device results: the notification's queued rows and its results, merged in
     * id order (each read through its own (notification_seq, id) index, `limit` at most).
     */
    async results(seq: number, after: number, limit: number) {
      const queued = await db.selectFrom('deliveryQueue')
        .select(['id', 'deviceId', 'attempts', 'lastClass', 'lastStatus', 'lastReason', 'updatedAt', 'nextAttemptAt', 'leasedUntil'])
        .where('notificationSeq', '=', seq).where('id', '>', after)
        .orderBy('notificationSeq').orderBy('id').limit(limit)
        .execute();
      const final = await db.selectFrom('deliveryResults')
        .select(['id', 'deviceId', 'state', 'attempts', 'lastClass', 'lastStatus', 'lastReason', 'updatedAt'])
        .where('notificationSeq', '=', seq).where('id', '>', after)
        .orderBy('notificationSeq').orderBy('id').limit(limit)
        .execute();
      const page = [
        // A row in flight is next due when its lease ends, as the API has always said.
        ...queued.map(({ leasedUntil, ...r }) => ({ ...r, id: Number(r.id), state: 'pending' as DeliveryState, nextAttemptAt: Math.max(Number(r.nextAttemptAt), Number(leasedUntil)) })),
        // A result's due time is when it was recorded, as it was when final rows stayed in the queue's table.
        ...final.map((r) => { const state = stateOf(r.state); return { ...r, id: Number(r.id), state, lastClass: r.lastClass ?? state, nextAttemptAt: r.updatedAt }; }),
      ].sort((a, b) => a.id - b.id).slice(0, limit);
      if (page.length === 0) return [];
      const devices = new Map<string, { platform: Platform; token: string }>();
      for (const batch of chunk([...new Set(page.map((r) => r.deviceId))], ID_BATCH)) {
        for (const d of await db.selectFrom('devices').select(['id', 'platform', 'token']).where('tenantId', '=', (eb) => eb.selectFrom('notifications').select('tenantId').where('seq', '=', seq)).where('id', 'in', batch).execute()) devices.set(d.id, d);
      }
      return page.map((r) => {
        const device = devices.get(r.deviceId);
        return {
          id: r.id, deviceId: r.deviceId, platform: device?.platform ?? null, token: device?.token ?? null, state: r.state, attempts: r.attempts,
          lastClass: r.lastClass, lastStatus: r.lastStatus, lastReason: r.lastReason, updatedAt: Number(r.updatedAt), nextAttemptAt: Number(r.nextAttemptAt),
        };
      });
    },
    /**
     * Mark notifications with no row left in the queue and none still to be fed into it as
     * completed; returns the ones just completed. One probe of the queue's (notification_seq, id)
     * index each: the queue holds only rows not yet final, and its finished rows' dead entries
     * are marked dead by the first probe that meets them (the old single table's partial index
     * was measured at 95,363 heap fetches for this question at 25,000 rows).
     */
    async completeFinished(ids: string[], now = Date.now()): Promise<Notification[]> {
      if (ids.length === 0) return [];
      return db.updateTable('notifications')
        .set({ completedAt: now })
        .where('id', 'in', ids)
        .where('completedAt', 'is', null)
        .where('feedCursor', 'is', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('deliveryQueue').select('deliveryQueue.id')
          .whereRef('deliveryQueue.notificationSeq', '=', 'notifications.seq'))))
        .returningAll()
        .execute();
    },

    /**
     * Top up the queue of the fan-outs being fed (of `ids`, or all of them) that have fewer than
     * half a slice of rows queued: each gets its next slice, queued and its cursor advanced in
     * one transaction (nextSliceQueries: of feeders racing for one notification exactly one
     * queues it). Returns the rows queued and the notifications whose feeding ended here (they
     * may be complete now). The candidates' read goes through the partial index of the ones
     * being fed, and counts each one's queued rows (at most 1.5 slices) by its queue index.
     */
    async feed(ids?: string[], now = Date.now(), options: { queue?: QueueSignal } = {}): Promise<FeedResult> {
      const result: FeedResult = { queued: 0, ended: [] };
      if (ids !== undefined && ids.length === 0) return result;
      const { rows } = await sql<{ seq: number; id: string; tenantId: string; createdAt: number; feedCursor: string; feedPlatforms: string; feedUntil: number; fed: number }>`
        SELECT n.seq, n.id, n.tenant_id, n.created_at, n.feed_cursor, n.feed_platforms, n.feed_until, n.fed FROM notifications n
        WHERE n.feed_cursor IS NOT NULL ${ids === undefined ? sql`` : sql`AND n.id IN (${sql.join(ids)})`}
          AND (SELECT count(*) FROM delivery_queue q WHERE q.notification_seq = n.seq) < ${Math.ceil(slice / 2)}
        ORDER BY n.seq`.execute(db);
      for (const row of rows) {
        const n: Feeding = {
          seq: Number(row.seq), id: row.id, tenantId: row.tenantId, createdAt: Number(row.createdAt), until: Number(row.feedUntil),
          platforms: row.feedPlatforms.split(',') as Platform[], cursor: row.feedCursor, fed: Number(row.fed),
        };
        const queries = nextSliceQueries(db, dialect, n, slice, now);
        // Other processes' idle workers start on the slice at its commit (PostgreSQL's NOTIFY).
        if (options.queue?.onCommit) queries.push(options.queue.onCommit);
        const results = await runAtomically(db, atomic, queries);
        const won = results.find((r) => r.rows.length > 0 && 'ended' in r.rows[0]!)?.rows[0];
        // Another feeder advanced the cursor first: it queued this slice.
        if (!won) continue;
        result.queued += Number(won.fed) - n.fed;
        if (won.ended === true || Number(won.ended) === 1) result.ended.push(n.id);
      }
      // PostgreSQL reuses a deleted row's space only once VACUUM has recorded it as free, so
      // between autovacuum's naps (a minute) a fan-out's finished rows piled up and the queue's
      // file grew by every row it fed in that minute, bounded slices or not. Vacuumed every few
      // slices instead, it stays about the size of its live rows (README: Design, "Fan-out in
      // slices"). SKIP_LOCKED: a VACUUM already running elsewhere does it; nobody waits for it.
      // A failure costs only space until the next one (or autovacuum's), so it is not the feed's.
      fedSinceVacuum += result.queued;
      if (dialect === 'postgres' && fedSinceVacuum >= slice * VACUUM_EVERY_SLICES) {
        fedSinceVacuum = 0;
        await sql`VACUUM (SKIP_LOCKED) delivery_queue`.execute(db).catch(() => {});
      }
      return result;
    },
  };
}

/** What one `feed` did. */
export interface FeedResult {
  /** Rows queued, in all. */
  queued: number;
  /** Notifications whose last member is now queued. */
  ended: string[];
}

const STATE_OF_CODE = new Map<number, DeliveryState>(Object.entries(FINAL_STATE_CODE).map(([state, code]) => [code, state as DeliveryState]));

/** A result's state from its stored code. */
function stateOf(code: number): DeliveryState {
  const state = STATE_OF_CODE.get(Number(code));
  if (!state) throw new Error(`delivery_results: unknown state code ${code}`);
  return state;
}

/** A row as the database named its columns (`completed_at`) with the keys Kysely's CamelCasePlugin gives (`completedAt`). */
function camelCased(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v]));
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** What decides a creation's SQL text: the values (ids, names, times) go in its parameters. */
interface CreationShape {
  all: boolean;
  platforms: number;
  /** Explicit device ids (0 for `all`). */
  devices: number;
  audit: boolean;
}

/** Sends to at most this many explicit devices use a compiled template (creationTemplate). */
const PREPARED_DEVICES = 8;

/**
 * A creation's statements, the wake-up aside (`create` puts it before the last): the
 * notification, its queue rows, its `total`, the audit entry and the completion of an empty
 * one. `param(name)` gives each value — the value itself, or a stand-in for prepareStatements.
 * Deliveries point at the notification's `seq`, which SQLite numbers in a trigger after the
 * insert: the statements read it with a subquery (evaluated once) rather than wait for it.
 */
function creationStatements(db: Kysely<Schema>, dialect: Dialect, slice: number, shape: CreationShape, param: (name: string) => any): CompiledQuery[] {
  const id = param('id');
  const tenantId = param('tenantId');
  const now = param('now');
  const platforms = Array.from({ length: shape.platforms }, (_, i) => param(`platform${i}`));
  const seqOf = db.selectFrom('notifications').select('seq').where('id', '=', id);
  const queries: CompiledQuery[] = [db.insertInto('notifications').values({
    id, tenantId, idempotencyKey: param('idempotencyKey'), requestHash: param('requestHash'),
    payload: param('payload'), expiresAt: param('expiresAt'), createdAt: now, total: 0, completedAt: null,
    feedPlatforms: param('feedPlatforms'),
  }).compile()];
  if (shape.all) {
    const members: Membership = { tenantId, platforms, createdAt: now, until: null };
    if (dialect === 'postgres') queries.push(orderedWalk(db));
    queries.push(db.insertInto('deliveryQueue')
      .columns(QUEUE_ROW_COLUMNS)
      .expression(memberRows(db, seqOf, members, null, slice, now))
      .compile());
  } else if (shape.devices > 0) {
    const ids = Array.from({ length: shape.devices }, (_, i) => param(`device${i}`));
    for (const batch of chunk(ids, ID_BATCH)) {
      const select = queueRowsOf(db, seqOf, tenantId, platforms, now)
        .where('invalidAt', 'is', null)
        .where('id', 'in', batch);
      queries.push(db.insertInto('deliveryQueue')
        .columns(QUEUE_ROW_COLUMNS)
        .expression(select)
        .compile());
    }
  }
  // `total`: the rows queued — or, when the first slice came back full, every member (counted
  // once here, so the API answers it at once) and the cursor is where the slice ended.
  // What the statements above queued: counted from the queue's (notification_seq, id) index alone.
  const queued = sql`(SELECT count(*) AS k FROM delivery_queue WHERE notification_seq = (${seqOf})) AS s`;
  if (shape.all) {
    // Read only when the first slice came back full (CASE evaluates a subquery only when it
    // reaches it): a fan-out that fits in one slice pays for none of them.
    const everyMember = db.selectFrom('devices').where('tenantId', '=', tenantId).where('platform', 'in', platforms).where('invalidAt', 'is', null);
    const greatest = sql.raw(dialect === 'postgres' ? 'GREATEST' : 'MAX');
    queries.push(sql`
      UPDATE notifications
      SET fed = s.k,
          total = CASE WHEN s.k < ${slice} THEN s.k ELSE ${greatest}(s.k, (${everyMember.select((eb) => eb.fn.countAll<number>().as('n'))})) END,
          feed_cursor = CASE WHEN s.k < ${slice} THEN NULL ELSE (SELECT max(device_id) FROM delivery_queue WHERE notification_seq = (${seqOf})) END,
          feed_until = CASE WHEN s.k < ${slice} THEN NULL ELSE (${everyMember.select((eb) => eb.fn.max('createdAt').as('until'))}) END
      FROM ${queued} WHERE id = ${id}`.compile(db));
  } else {
    queries.push(sql`UPDATE notifications SET fed = s.k, total = s.k FROM ${queued} WHERE id = ${id}`.compile(db));
  }
  if (shape.audit) {
    queries.push(db.insertInto('auditLog')
      .columns(['tenantId', 'actor', 'action', 'detail', 'at'])
      .expression(db.selectFrom('notifications').select((eb) => [
        eb.val(tenantId).as('tenantId'), eb.val(param('actor')).as('actor'), eb.val(param('action')).as('action'),
        sql<string>`cast(${param('auditHead')} as text) || cast(total as text) || cast(${param('auditTail')} as text)`.as('detail'),
        eb.val(now).as('at'),
      ]).where('id', '=', id))
      .compile());
  }
  // Nothing to deliver: complete at once. RETURNING reads the row back in the same message.
  queries.push(db.updateTable('notifications')
    // PostgreSQL types a bare parameter in a CASE as text, which a BIGINT column refuses.
    .set((eb) => ({ completedAt: eb.case().when('total', '=', 0).then(sql<number>`cast(${now} as bigint)`).else(null).end() }))
    .where('id', '=', id)
    .returningAll()
    .compile());
  return queries;
}
