import { type Kysely, type Selectable, type SelectQueryBuilder, sql } from 'kysely';
import { CertpushError } from '../errors.ts';
import { deviceJson } from './device-json.ts';
import { type DeviceTokenKey, deviceTokenKey } from './device-token-key.ts';
import type { Dialect } from './migrations.ts';
import type { DeviceTable, Schema } from './schema.ts';
import { newId } from './ids.ts';
import { prepareQuery, prepareRawQuery } from './prepared-query.ts';
import type { DeviceStore } from './roles/devices.ts';

export type Device = Selectable<DeviceTable>;
export type Platform = Device['platform'];

export interface DeviceInput {
  platform: Platform;
  token: string;
  pushMagic?: string | null;
  topic?: string | null;
}

export interface DeviceFilter {
  platform?: Platform;
  status?: 'active' | 'invalid';
  /** Substring of the token or channel URI. */
  search?: string;
  /** The MDM enrollment id, exactly. */
  enrollmentId?: string;
  /** The last id of the previous page. */
  after?: string;
  limit: number;
}

/** Rows per INSERT: well under both databases' parameter limits (9 columns each). */
const BATCH = 500;

/**
 * INSERT … ON CONFLICT for devices: a re-registered device gets its new fields and is active
 * again. Only a row with this very token is updated: where the unique index holds a digest of
 * the token (device-token-key.ts), another token with the same digest is left alone, and the
 * row written for neither (see refuseCollision).
 */
function upsert(db: Kysely<Schema>, key: DeviceTokenKey, tenantId: string, inputs: DeviceInput[], now: number) {
  const rows = inputs.map((d) => ({
    id: newId('dev'), tenantId, platform: d.platform, token: d.token, pushMagic: d.pushMagic ?? null, topic: d.topic ?? null,
    createdAt: now, updatedAt: now, invalidAt: null, invalidReason: null,
  }));
  return db.insertInto('devices').values(rows)
    .onConflict((oc) => (key.conflictTarget ? oc.expression(key.conflictTarget) : oc.columns(['tenantId', 'platform', 'token']))
      .doUpdateSet((eb) => ({
        pushMagic: eb.ref('excluded.pushMagic'),
        topic: eb.ref('excluded.topic'),
        updatedAt: now,
        invalidAt: null,
        invalidReason: null,
      }))
      .where((eb) => eb('devices.token', '=', eb.ref('excluded.token'))));
}

/** A batch wrote fewer rows than it has devices: one token's digest is another's (never seen by chance). */
function refuseCollision(tenantId: string, inputs: DeviceInput[], written: ReadonlySet<string> | null): never {
  const lost = written ? inputs.find((d) => !written.has(`${d.platform}\u0000${d.token}`)) : undefined;
  throw new CertpushError('DEVICE_TOKEN_COLLISION', `${lost ? `The ${lost.platform} token "${lost.token}"` : 'A token of this batch'} has the same digest as another device's token of tenant ${tenantId}, so it cannot be stored beside it (nothing was merged). Register it again after removing the other device, or report it: it means the token index needs a wider digest.`);
}

/** A page of devices as the API shows them, as JSON the database wrote (`pageJson`). */
export interface DevicePageJson {
  /** A JSON array of the page's devices, each as server/views.ts deviceView shows it. */
  items: string;
  /** There are devices after this page. */
  more: boolean;
  /** The page's last device id (null for an empty page). */
  last: string | null;
  count: { total: number; invalid: number };
}

type ListParam = 'tenantId' | 'platform' | 'search' | 'enrollmentId' | 'after' | 'limit';

/** Let the event loop run: node:sqlite statements are synchronous, so awaiting them never does. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function devicesRepository(db: Kysely<Schema>, dialect: Dialect): DeviceStore {
  const key = deviceTokenKey(dialect);
  // The device listing and its count answer most API requests (a console page, an MDM server's
  // sync): compiled once, not per request.
  const listQueries = new Map<string, ReturnType<typeof prepareQuery<Device, ListParam>>>();
  /** The listing for the filters `filter` gives (at most 2^5 · 3 shapes). */
  function listing(filter: DeviceFilter) {
    return (param: (name: ListParam) => any) => {
      let q = db.selectFrom('devices').selectAll() as unknown as SelectQueryBuilder<Schema, 'devices', Device>;
      q = q.where('tenantId', '=', param('tenantId'));
      if (filter.platform) q = q.where('platform', '=', param('platform'));
      if (filter.status === 'active') q = q.where('invalidAt', 'is', null);
      if (filter.status === 'invalid') q = q.where('invalidAt', 'is not', null);
      if (filter.search) q = q.where('token', 'like', param('search'));
      if (filter.enrollmentId) q = q.where('enrollmentId', '=', param('enrollmentId'));
      if (filter.after) q = q.where('id', '>', param('after'));
      return q.orderBy('id').limit(param('limit'));
    };
  }
  const shapeOf = (filter: DeviceFilter) => [filter.platform ? 'p' : '', filter.status ?? '', filter.search ? 's' : '', filter.enrollmentId ? 'e' : '', filter.after ? 'a' : ''].join(',');
  function listQuery(filter: DeviceFilter) {
    const shape = shapeOf(filter);
    let query = listQueries.get(shape);
    if (!query) listQueries.set(shape, (query = prepareQuery<Device, ListParam>(db, listing(filter))));
    return query;
  }
  /**
   * A page as the API shows it, written by the database (device-json.ts), in one statement: of
   * the first `limit` rows (one more than the page, to know whether a next page exists) the
   * JSON of those up to `bound`, their last id, how many rows there were, and the tenant's
   * counts. `bound` is the page's last row (OFFSET page size − 1); when there are fewer rows,
   * all of them are the page.
   *
   * The counts are two uncorrelated scalar subqueries, which both databases evaluate once per
   * statement (SQLite's ONCE, PostgreSQL's InitPlan) while the page itself still reads the
   * first rows of the (tenant, id) index. (The counts as a derived table joined to the page
   * made SQLite rerun the aggregate for every row it looked at: 1,000 counts per listing,
   * measured at 25× the reader's time.)
   */
  const jsonQueries = new Map<string, ReturnType<typeof prepareRawQuery<ListParam | 'offset'>>>();
  const onPage = sql`FILTER (WHERE id <= coalesce((SELECT id FROM bound), id))`;
  const pageJson = sql<string>`'[' || coalesce(${sql.raw(dialect === 'postgres' ? 'string_agg' : 'group_concat')}(${deviceJson(dialect)}, ',' ORDER BY id) ${onPage}, '') || ']'`;
  function jsonQuery(filter: DeviceFilter) {
    const shape = shapeOf(filter);
    let query = jsonQueries.get(shape);
    if (!query) {
      jsonQueries.set(shape, (query = prepareRawQuery<ListParam | 'offset'>(db, (param) => db
        .with('page', () => listing(filter)(param))
        .with('bound', (qc) => qc.selectFrom('page').select('id').orderBy('id').limit(1).offset(param('offset')))
        .selectFrom('page')
        .select((eb) => [
          pageJson.as('items'),
          eb.fn.countAll<number>().as('rows'),
          sql<string | null>`max(id) ${onPage}`.as('last'),
          eb.selectFrom('devices as counted').select((inner) => inner.fn.countAll<number>().as('n')).where('counted.tenantId', '=', param('tenantId')).as('pageTotal'),
          eb.selectFrom('devices as counted').select((inner) => inner.fn.count<number>('counted.invalidAt').as('n')).where('counted.tenantId', '=', param('tenantId')).as('pageInvalid'),
        ]))));
    }
    return query;
  }
  const listValues = (tenantId: string, filter: DeviceFilter): Record<ListParam, unknown> => ({
    tenantId, platform: filter.platform, enrollmentId: filter.enrollmentId, after: filter.after, limit: filter.limit,
    search: filter.search ? `%${filter.search.replace(/[%_\\]/g, (c) => `\\${c}`)}%` : undefined,
  });
  const countQuery = prepareQuery<{ total: number; invalid: number }, 'tenantId'>(db, (param) => db.selectFrom('devices')
    .select((eb) => [eb.fn.countAll<number>().as('total'), eb.fn.count<number>('invalidAt').as('invalid')])
    .where('tenantId', '=', param('tenantId')));
  return {
    /**
     * Insert or update devices by (tenant, platform, token). Re-registering an invalidated device
     * makes it active again: the device came back with a fresh registration. Returns one row
     * per distinct device.
     */
    async upsertMany(tenantId: string, inputs: DeviceInput[], now = Date.now()): Promise<Device[]> {
      // The same device twice in one statement is an error in PostgreSQL; the last one wins.
      const unique = [...new Map(inputs.map((d) => [`${d.platform}\u0000${d.token}`, d])).values()];
      const out: Device[] = [];
      for (let i = 0; i < unique.length; i += BATCH) {
        const batch = unique.slice(i, i + BATCH);
        const rows = await upsert(db, key, tenantId, batch, now).returningAll().execute();
        if (rows.length < batch.length) refuseCollision(tenantId, batch, new Set(rows.map((d) => `${d.platform}\u0000${d.token}`)));
        out.push(...rows);
      }
      return out;
    },
    /**
     * Insert or update many devices as upsertMany does, all in one transaction: a crash or an
     * error part-way leaves none of them. Returns how many distinct devices were written.
     * Batches yield to the event loop in between (node:sqlite runs each statement
     * synchronously), so a 100,000-device import holds the loop only one batch at a time.
     */
    async importAll(tenantId: string, inputs: DeviceInput[], now = Date.now()): Promise<number> {
      const byKey = new Map<string, DeviceInput>();
      for (let i = 0; i < inputs.length; i++) {
        byKey.set(`${inputs[i]!.platform}\u0000${inputs[i]!.token}`, inputs[i]!);
        if (i % 10_000 === 9_999) await yieldToLoop();
      }
      const unique = [...byKey.values()];
      await db.transaction().execute(async (tx) => {
        for (let i = 0; i < unique.length; i += BATCH) {
          const batch = unique.slice(i, i + BATCH);
          const [result] = await upsert(tx, key, tenantId, batch, now).execute();
          // Throwing rolls the whole import back: all or nothing, as always.
          if (Number(result!.numInsertedOrUpdatedRows) < batch.length) refuseCollision(tenantId, batch, null);
          await yieldToLoop();
        }
      });
      return unique.length;
    },
    async get(tenantId: string, id: string): Promise<Device | undefined> {
      return db.selectFrom('devices').selectAll().where('tenantId', '=', tenantId).where('id', '=', id).executeTakeFirst();
    },
    /** Of `ids`, those that belong to the tenant. */
    async existing(tenantId: string, ids: string[]): Promise<Device[]> {
      const out: Device[] = [];
      for (let i = 0; i < ids.length; i += BATCH) {
        out.push(...await db.selectFrom('devices').selectAll().where('tenantId', '=', tenantId).where('id', 'in', ids.slice(i, i + BATCH)).execute());
      }
      return out;
    },
    async list(tenantId: string, filter: DeviceFilter): Promise<Device[]> {
      return (await listQuery(filter)(listValues(tenantId, filter))).rows;
    },
    async pageJson(tenantId: string, filter: DeviceFilter): Promise<DevicePageJson> {
      const [row] = (await jsonQuery(filter)({ ...listValues(tenantId, { ...filter, limit: filter.limit + 1 }), offset: filter.limit - 1 })).rows;
      return {
        items: row!.items as string, more: Number(row!.rows) > filter.limit, last: (row!.last as string | null) ?? null,
        count: { total: Number(row!.page_total), invalid: Number(row!.page_invalid) },
      };
    },
    async count(tenantId: string): Promise<{ total: number; invalid: number }> {
      const row = (await countQuery({ tenantId })).rows[0]!;
      return { total: Number(row.total), invalid: Number(row.invalid) };
    },
    async remove(tenantId: string, id: string): Promise<boolean> {
      return Number((await db.deleteFrom('devices').where('tenantId', '=', tenantId).where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
    },
    /**
     * The devices are gone (APNs 410, MPNS 404): stop sending to them, remember when and why.
     * With `since` (APNs 410's timestamp: when the token stopped being valid), a device
     * registered again at or after that time is left alone: its registration is newer than
     * APNs' verdict. Each device comes with its tenant, the first column of the key it is found
     * by. Returns the ids it marked.
     */
    async markInvalid(devices: ReadonlyArray<{ tenantId: string; deviceId: string }>, reason: string, at = Date.now(), since?: number): Promise<string[]> {
      const marked: string[] = [];
      for (const [tenantId, ofTenant] of Map.groupBy(devices, (d) => d.tenantId)) {
        const ids = [...new Set(ofTenant.map((d) => d.deviceId))];
        for (let i = 0; i < ids.length; i += BATCH) {
          let update = db.updateTable('devices').set({ invalidAt: at, invalidReason: reason, updatedAt: at })
            .where('tenantId', '=', tenantId).where('id', 'in', ids.slice(i, i + BATCH)).where('invalidAt', 'is', null);
          if (since !== undefined) update = update.where('updatedAt', '<', since);
          marked.push(...(await update.returning('id').execute()).map((r) => r.id));
        }
      }
      return marked;
    },
  };
}
