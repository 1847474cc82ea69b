import { type Kysely, sql } from 'kysely';
import { type AtomicRunner, runAtomically } from './atomic.ts';
import type { Dialect } from './migrations.ts';
import { chunk } from './notifications.ts';
import type { DeliveryState, Schema } from './schema.ts';

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
        SELECT MIN(tenant_id) FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ${now}
        UNION ALL
        SELECT (SELECT MIN(d.tenant_id) FROM deliveries d
                WHERE d.state = 'pending' AND d.next_attempt_at <= ${now} AND d.tenant_id > t.tenant_id)
        FROM t WHERE t.tenant_id IS NOT NULL
      )
      SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL LIMIT ${TENANTS_PER_CLAIM * 4}`.execute(db);
    return rows.map((r) => r.tenantId);
  }

  return {
    /**
     * Lease up to `limit` due rows, shared evenly between the tenants that have any — one
     * tenant's 100,000-row fan-out cannot starve another's single push. Leasing sets
     * next_attempt_at to the lease's end, so a row whose worker dies is due again after it.
     * PostgreSQL: FOR UPDATE SKIP LOCKED lets many workers claim at once without blocking.
     */
    async claim(options: ClaimOptions): Promise<ClaimedDelivery[]> {
      const now = options.now ?? Date.now();
      const leaseEnd = now + options.leaseMs;
      const all = (await dueTenants(now)).filter((t) => !options.excludeTenants?.has(t));
      if (all.length === 0) return [];
      // Rotate which tenants come first so that, past TENANTS_PER_CLAIM, everyone gets turns.
      const start = rotation++ % all.length;
      const tenants = [...all.slice(start), ...all.slice(0, start)].slice(0, TENANTS_PER_CLAIM);
      const share = Math.max(1, Math.ceil(options.limit / tenants.length));
      if (dialect === 'postgres') {
        // One statement claims and reads what sending needs. Its commit does not wait for the
        // WAL flush (synchronous_commit off for this transaction only, set in the statement so
        // it needs no BEGIN): a claim lost to a database crash leaves its rows due as they were,
        // sent again by whoever claims them next — the at-least-once a worker's crash already
        // gives — and it takes a disk flush (several ms) off every push's way to APNs.
        const { rows } = await sql<ClaimedDelivery>`
          WITH claimed AS (
            UPDATE deliveries SET next_attempt_at = ${leaseEnd}, leased_by = ${options.workerId}
            WHERE id IN (
              SELECT d.id FROM unnest(${tenants}::text[]) AS t(tenant_id)
              CROSS JOIN LATERAL (
                SELECT id FROM deliveries
                WHERE tenant_id = t.tenant_id AND state = 'pending' AND next_attempt_at <= ${now}
                ORDER BY next_attempt_at, id LIMIT ${share}
                FOR UPDATE SKIP LOCKED
              ) d
            ) AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off'
            RETURNING id, notification_seq, tenant_id, device_id, attempts
          )
          SELECT c.id, n.id AS notification_id, c.tenant_id, c.device_id, c.attempts,
                 dv.platform, dv.token, dv.push_magic, dv.topic, dv.invalid_at AS device_invalid_at,
                 n.payload, n.expires_at, n.created_at AS notification_created_at
          FROM claimed c
          JOIN notifications n ON n.seq = c.notification_seq
          LEFT JOIN devices dv ON dv.id = c.device_id
          ORDER BY c.id`.execute(db);
        return rows.map((r) => ({ ...r, id: Number(r.id) }));
      }
      // One process owns an SQLite database: one statement per tenant, all in one transaction
      // sent to its writer thread at once.
      const results = await runAtomically(db, atomic, tenants.map((tenant) => sql`
        UPDATE deliveries SET next_attempt_at = ${leaseEnd}, leased_by = ${options.workerId}
        WHERE id IN (SELECT id FROM deliveries WHERE tenant_id = ${tenant} AND state = 'pending' AND next_attempt_at <= ${now}
                     ORDER BY next_attempt_at, id LIMIT ${share})
        RETURNING id`.compile(db)));
      const ids = results.flatMap((r) => r.rows.map((row) => Number(row.id)));
      const out: ClaimedDelivery[] = [];
      for (const batch of chunk(ids, 500)) {
        out.push(...await db.selectFrom('deliveries')
          .innerJoin('notifications', 'notifications.seq', 'deliveries.notificationSeq')
          .leftJoin('devices', 'devices.id', 'deliveries.deviceId')
          .select([
            'deliveries.id', 'notifications.id as notificationId', 'deliveries.tenantId', 'deliveries.deviceId', 'deliveries.attempts',
            'devices.platform', 'devices.token', 'devices.pushMagic', 'devices.topic', 'devices.invalidAt as deviceInvalidAt',
            'notifications.payload', 'notifications.expiresAt', 'notifications.createdAt as notificationCreatedAt',
          ])
          .where('deliveries.id', 'in', batch)
          .orderBy('deliveries.id')
          .execute());
      }
      return out;
    },

    /**
     * Record attempts' outcomes. Rows with the same outcome are updated together, so a batch of
     * 500 successes is one statement.
     */
    async finish(updates: DeliveryUpdate[], now = Date.now()): Promise<void> {
      const groups = new Map<string, { update: DeliveryUpdate; ids: number[] }>();
      for (const u of updates) {
        const key = JSON.stringify([u.state, u.nextAttemptAt ?? null, u.lastClass, u.lastStatus, u.lastReason, u.countsAsAttempt !== false]);
        const group = groups.get(key) ?? { update: u, ids: [] };
        group.ids.push(u.id);
        groups.set(key, group);
      }
      const queries = [];
      for (const { update, ids } of groups.values()) {
        for (const batch of chunk(ids, 500)) {
          queries.push(db.updateTable('deliveries')
            .set((eb) => ({
              state: update.state,
              nextAttemptAt: update.nextAttemptAt ?? now,
              attempts: update.countsAsAttempt === false ? eb.ref('attempts') : eb('attempts', '+', 1),
              lastClass: update.lastClass,
              lastStatus: update.lastStatus,
              lastReason: update.lastReason,
              updatedAt: now,
            }))
            .where('id', 'in', batch)
            .compile());
        }
      }
      // All outcomes in one transaction, sent at once (on SQLite, one message to its writer).
      await runAtomically(db, atomic, queries);
    },

    /** Rows waiting to be sent (due now or later), for metrics and the console. */
    async backlog(): Promise<number> {
      const row = await db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'pending').executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
