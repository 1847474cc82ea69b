import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type AtomicRunner, runAtomically } from './atomic.ts';
import type { Dialect } from './migrations.ts';
import { chunk } from './notifications.ts';
import { type DeliveryState, FINAL_STATE_CODE, type Schema } from './schema.ts';

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: number;
  notificationId: string;
  tenantId: string;
  deviceId: string;
  attempts: number;
  /** Null when the device was deleted after the fan-out. */
  platform: 'mdm' | 'apns' | 'mpns' | null;
  token: string | null;
  pushMagic: string | null;
  topic: string | null;
  deviceInvalidAt: number | null;
  payload: string;
  expiresAt: number | null;
  /** The notification's creation: where its retry window starts when it has no expiration. */
  notificationCreatedAt: number;
}

/** What an attempt left behind: final (state ≠ pending) or a retry at `nextAttemptAt`. */
export interface DeliveryUpdate {
  id: number;
  state: DeliveryState;
  nextAttemptAt?: number;
  lastClass: string;
  lastStatus: number | null;
  lastReason: string | null;
  /** False when the attempt did not count (the tenant was paused, nothing was sent). */
  countsAsAttempt?: boolean;
}

export interface ClaimOptions {
  /** Who claims (for the caller's logs and metrics): not stored, a lease is its due time alone. */
  workerId: string;
  limit: number;
  leaseMs: number;
  /** Tenants not to claim for (paused after a credential failure). */
  excludeTenants?: ReadonlySet<string>;
  now?: number;
}

/** At most this many tenants share one claim; more wait for the next round. */
const TENANTS_PER_CLAIM = 64;

export function deliveriesRepository(db: Kysely<Schema>, dialect: Dialect, atomic?: AtomicRunner): import('./roles/delivery-queue.ts').DeliveryStore {
  let rotation = 0;

  /**
   * Tenants with due rows, in tenant order, found by skipping through the (tenant_id,
   * next_attempt_at) index one tenant at a time rather than reading every due row.
   */
  async function dueTenants(now: number): Promise<string[]> {
    // Raw SQL names columns in snake_case; the CamelCasePlugin renames the result's keys.
    const { rows } = await sql<{ tenantId: string }>`
      WITH RECURSIVE t(tenant_id) AS (
        SELECT MIN(tenant_id) FROM delivery_queue WHERE next_attempt_at <= ${now} AND leased_until <= ${now}
        UNION ALL
        SELECT (SELECT MIN(d.tenant_id) FROM delivery_queue d
                WHERE d.next_attempt_at <= ${now} AND d.leased_until <= ${now} AND d.tenant_id > t.tenant_id)
        FROM t WHERE t.tenant_id IS NOT NULL
      )
      SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL LIMIT ${TENANTS_PER_CLAIM * 4}`.execute(db);
    return rows.map((r) => r.tenantId);
  }

  /** Lease up to `share` due rows of each of `tenants` until `leaseEnd`, with what sending them needs. */
  async function claimShares(tenants: string[], share: number, now: number, leaseEnd: number): Promise<ClaimedDelivery[]> {
    if (dialect === 'postgres') {
      const { rows } = await postgresClaim(tenants, share, now, leaseEnd).execute(db);
      return rows.map((r) => ({ ...r, id: Number(r.id) }));
    }
    // One process owns an SQLite database: one statement per tenant, all in one transaction
    // sent to its writer thread at once.
    const results = await runAtomically(db, atomic, tenants.map((tenant) => sql`
      UPDATE delivery_queue SET leased_until = ${leaseEnd}
      WHERE id IN (SELECT id FROM delivery_queue WHERE tenant_id = ${tenant} AND next_attempt_at <= ${now} AND leased_until <= ${now}
                   ORDER BY next_attempt_at, id LIMIT ${share})
      RETURNING id`.compile(db)));
    const ids = results.flatMap((r) => r.rows.map((row) => Number(row.id)));
    const out: ClaimedDelivery[] = [];
    for (const batch of chunk(ids, 500)) {
      out.push(...await db.selectFrom('deliveryQueue')
        .innerJoin('notifications', 'notifications.seq', 'deliveryQueue.notificationSeq')
        .leftJoin('devices', 'devices.id', 'deliveryQueue.deviceId')
        .select([
          'deliveryQueue.id', 'notifications.id as notificationId', 'deliveryQueue.tenantId', 'deliveryQueue.deviceId', 'deliveryQueue.attempts',
          'devices.platform', 'devices.token', 'devices.pushMagic', 'devices.topic', 'devices.invalidAt as deviceInvalidAt',
          'notifications.payload', 'notifications.expiresAt', 'notifications.createdAt as notificationCreatedAt',
        ])
        .where('deliveryQueue.id', 'in', batch)
        .orderBy('deliveryQueue.id')
        .execute());
    }
    return out;
  }

  return {
    /**
     * Lease up to `limit` due rows, shared evenly between the tenants that have any — one
     * tenant's 100,000-row fan-out cannot starve another's single push — and what a tenant
     * leaves of its share to the others. Leasing sets
     * leased_until to the lease's end, so a row whose worker dies is claimable again after it;
     * the due index does not hold leased_until, so the lease is a HOT update on PostgreSQL, and
     * a claim steps over the rows in flight (batch size × concurrency) with a heap check.
     * PostgreSQL: FOR UPDATE SKIP LOCKED lets many workers claim at once without blocking.
     */
    async claim(options: ClaimOptions): Promise<ClaimedDelivery[]> {
      const now = options.now ?? Date.now();
      const all = (await dueTenants(now)).filter((t) => !options.excludeTenants?.has(t));
      if (all.length === 0) return [];
      // Rotate which tenants come first so that, past TENANTS_PER_CLAIM, everyone gets turns.
      const start = rotation++ % all.length;
      const tenants = [...all.slice(start), ...all.slice(0, start)].slice(0, TENANTS_PER_CLAIM);
      const share = Math.max(1, Math.ceil(options.limit / tenants.length));
      const rows = await claimShares(tenants, share, now, now + options.leaseMs);
      // A tenant with fewer due rows than its share leaves the rest of the claim unused: under
      // the API's one-device sends a 20,000-device fan-out was claimed 500 rows at a time
      // instead of 1,000, and every batch costs the same round trips whatever its size. The
      // tenants that filled their share (they may have more) split what is left, once.
      if (rows.length < options.limit) {
        const claimed = new Map<string, number>();
        for (const r of rows) claimed.set(r.tenantId, (claimed.get(r.tenantId) ?? 0) + 1);
        const full = tenants.filter((t) => claimed.get(t) === share);
        if (full.length > 0) {
          rows.push(...await claimShares(full, Math.ceil((options.limit - rows.length) / full.length), now, now + options.leaseMs));
          rows.sort((a, b) => a.id - b.id);
        }
      }
      return rows;
    },

    /**
     * Record attempts' outcomes. A retry updates its queue row; a final outcome deletes it and
     * inserts its result in one statement: the result is written by whoever deleted the row, so
     * two workers racing for a row whose lease lapsed record it once. PostgreSQL: the whole
     * batch is one statement (its outcomes as arrays), so it needs no BEGIN/COMMIT, and it
     * touches no notification row: two workers finishing rows of one notification never wait
     * for each other's commit (a per-notification count of queued rows did, and measured two
     * workers slower than one). SQLite: statements per outcome group, in one transaction sent
     * to the writer at once.
     */
    async finish(updates: DeliveryUpdate[], now = Date.now()): Promise<void> {
      if (updates.length === 0) return;
      if (dialect === 'postgres') {
        // Kysely passes arrays as parameters; pg writes them as array literals (NULLs kept).
        const codes = updates.map((u) => (u.state === 'pending' ? 0 : FINAL_STATE_CODE[u.state]));
        await sql`
          WITH locked AS (
            -- Lock the rows first, all of them, in id order. Two workers may finish the same rows
            -- (a lease that lapsed mid-send); the retry's UPDATE and the final DELETE below lock
            -- as they go, each in its own order, and two such statements can each hold a row the
            -- other waits for (PostgreSQL: "deadlock detected"). Taken in one order up front, the
            -- later one waits for the first to commit and finds the rows it deleted gone.
            SELECT id FROM delivery_queue WHERE id = ANY(${updates.map((u) => u.id)}::bigint[]) ORDER BY id FOR UPDATE
          ), u AS (
            SELECT u.* FROM unnest(${updates.map((u) => u.id)}::bigint[], ${codes}::smallint[],
                                 ${updates.map((u) => u.nextAttemptAt ?? now)}::bigint[], ${updates.map((u) => (u.countsAsAttempt === false ? 0 : 1))}::smallint[],
                                 ${updates.map(storedClass)}::text[], ${updates.map((u) => u.lastStatus)}::smallint[], ${updates.map((u) => u.lastReason)}::text[])
              AS u(id, code, next_attempt_at, counted, last_class, last_status, last_reason)
            JOIN locked USING (id)
          ), retried AS (
            UPDATE delivery_queue q
            SET next_attempt_at = u.next_attempt_at, leased_until = 0, attempts = q.attempts + u.counted, last_class = u.last_class,
                last_status = u.last_status, last_reason = u.last_reason, updated_at = ${now}
            FROM u WHERE q.id = u.id AND u.code = 0
          ), gone AS (
            DELETE FROM delivery_queue q USING u WHERE q.id = u.id AND u.code > 0
            RETURNING q.notification_seq, q.id, q.device_id, q.attempts + u.counted AS attempts, u.code, u.last_class, u.last_status, u.last_reason
          )
          INSERT INTO delivery_results (notification_seq, id, updated_at, attempts, last_status, state, device_id, last_class, last_reason)
          SELECT notification_seq, id, ${now}, attempts, last_status, code, device_id, last_class, last_reason FROM gone`.execute(db);
        return;
      }
      const groups = new Map<string, { update: DeliveryUpdate; ids: number[] }>();
      for (const u of updates) {
        const key = JSON.stringify([u.state, u.nextAttemptAt ?? null, u.lastClass, u.lastStatus, u.lastReason, u.countsAsAttempt !== false]);
        const group = groups.get(key) ?? { update: u, ids: [] };
        group.ids.push(u.id);
        groups.set(key, group);
      }
      const queries = [];
      for (const { update, ids } of groups.values()) {
        const counted = update.countsAsAttempt === false ? 0 : 1;
        for (const batch of chunk(ids, 500)) {
          if (update.state === 'pending') {
            queries.push(db.updateTable('deliveryQueue')
              .set((eb) => ({
                nextAttemptAt: update.nextAttemptAt ?? now,
                leasedUntil: 0,
                attempts: eb('attempts', '+', counted),
                lastClass: update.lastClass,
                lastStatus: update.lastStatus,
                lastReason: update.lastReason,
                updatedAt: now,
              }))
              .where('id', 'in', batch)
              .compile());
            continue;
          }
          // SQLite has no DELETE … RETURNING inside a statement: copy and delete the same rows in
          // two statements of one transaction (one writer, so nothing comes between).
          const code = FINAL_STATE_CODE[update.state];
          const rows = db.selectFrom('deliveryQueue').where('id', 'in', batch);
          queries.push(db.insertInto('deliveryResults')
            .columns(['notificationSeq', 'id', 'updatedAt', 'attempts', 'lastStatus', 'state', 'deviceId', 'lastClass', 'lastReason'])
            .expression(rows.select((eb) => [
              'notificationSeq', 'id', eb.val(now).as('updatedAt'), sql<number>`attempts + ${counted}`.as('attempts'),
              eb.val(update.lastStatus).as('lastStatus'), eb.val(code).as('state'), 'deviceId',
              eb.val(storedClass(update)).as('lastClass'), eb.val(update.lastReason).as('lastReason'),
            ]))
            .compile());
          queries.push(db.deleteFrom('deliveryQueue').where('id', 'in', batch).compile());
        }
      }
      // All outcomes in one transaction, sent at once (one message to SQLite's writer).
      await runAtomically(db, atomic, queries);
    },

    /** Rows waiting to be sent (due now or later), for metrics and the console. */
    async backlog(): Promise<number> {
      const row = await db.selectFrom('deliveryQueue').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

/**
 * PostgreSQL's claim: lease up to `share` due rows of each of `tenants` and read what sending
 * them needs, in one statement (exported so a test can EXPLAIN it).
 */
export function postgresClaim(tenants: string[], share: number, now: number, leaseEnd: number): RawBuilder<ClaimedDelivery> {
  // Its commit does not wait for the WAL flush (synchronous_commit off for this transaction
  // only, set in the statement so it needs no BEGIN): a claim lost to a database crash leaves
  // its rows due as they were, sent again by whoever claims them next — the at-least-once a
  // worker's crash already gives — and it takes a disk flush (several ms) off every push's
  // way to APNs.
  //
  // The update finds its rows by `id = ANY(ARRAY(…))`, lookups in the primary key, not by
  // joining the claimable ids to the queue: with the function's ROWS 100 estimate a
  // 64-tenant claim looked like 6,400 rows to the planner, which then hashed the whole
  // queue to join them, a scan of every queued row on every claim (measured with 100,000
  // rows queued and 1,024 claimed: 41 ms, 30 of them the scan; 13 ms by the key).
  return sql<ClaimedDelivery>`
    WITH claimed AS (
      UPDATE delivery_queue q SET leased_until = ${leaseEnd}
      WHERE q.id = ANY(ARRAY(
              SELECT d.id FROM unnest(${tenants}::text[]) AS t(tenant_id)
              CROSS JOIN LATERAL delivery_queue_claimable(t.tenant_id, ${now}, ${share}) AS d(id)))
        AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off'
      RETURNING q.id, q.notification_seq, q.tenant_id, q.device_id, q.attempts
    )
    SELECT c.id, n.id AS notification_id, c.tenant_id, c.device_id, c.attempts,
           dv.platform, dv.token, dv.push_magic, dv.topic, dv.invalid_at AS device_invalid_at,
           n.payload, n.expires_at, n.created_at AS notification_created_at
    FROM claimed c
    JOIN notifications n ON n.seq = c.notification_seq
    LEFT JOIN devices dv ON dv.tenant_id = c.tenant_id AND dv.id = c.device_id
    ORDER BY c.id`;
}

/** A result's class as stored: null when it is the state's own name (a delivered row's "delivered"). */
function storedClass(update: DeliveryUpdate): string | null {
  return update.state !== 'pending' && update.lastClass === update.state ? null : update.lastClass;
}
