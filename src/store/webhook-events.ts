import { type Kysely, type Selectable, sql } from 'kysely';
import type { Dialect } from './migrations.ts';
import type { Schema, WebhookEventTable } from './schema.ts';
import type { WebhookEventStore } from './roles/webhooks.ts';

export type WebhookEvent = Selectable<WebhookEventTable>;

export function webhookEventsRepository(db: Kysely<Schema>, dialect: Dialect): WebhookEventStore {
  return {
    async enqueue(tenantId: string, event: string, payload: string, now = Date.now()): Promise<void> {
      await db.insertInto('webhookEvents').values({ tenantId, event, payload, state: 'pending', attempts: 0, nextAttemptAt: now, lastError: null, createdAt: now }).execute();
    },
    /** Tenants with events due now, the longest-waiting first. */
    async dueTenants(limit: number, now = Date.now()): Promise<string[]> {
      const rows = await db.selectFrom('webhookEvents').select('tenantId')
        .where('state', '=', 'pending').where('nextAttemptAt', '<=', now)
        .groupBy('tenantId').orderBy((eb) => eb.fn.min('nextAttemptAt')).limit(limit).execute();
      return rows.map((r) => r.tenantId);
    },
    /**
     * Lease due events (as deliveries are leased: next_attempt_at moves to the lease's end),
     * of one tenant when `tenantId` is given.
     */
    async claim(limit: number, leaseMs: number, now = Date.now(), tenantId?: string): Promise<WebhookEvent[]> {
      const lock = dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
      const ofTenant = tenantId === undefined ? sql`` : sql`AND tenant_id = ${tenantId}`;
      const { rows } = await sql<{ id: number }>`
        UPDATE webhook_events SET next_attempt_at = ${now + leaseMs}
        WHERE id IN (SELECT id FROM webhook_events WHERE state = 'pending' AND next_attempt_at <= ${now} ${ofTenant} ORDER BY next_attempt_at, id LIMIT ${limit} ${lock})
        RETURNING id`.execute(db);
      if (rows.length === 0) return [];
      return db.selectFrom('webhookEvents').selectAll().where('id', 'in', rows.map((r) => Number(r.id))).orderBy('id').execute();
    },
    async finish(id: number, update: { state: 'pending' | 'delivered' | 'failed'; nextAttemptAt?: number; lastError?: string | null }, now = Date.now()): Promise<void> {
      await db.updateTable('webhookEvents')
        .set((eb) => ({ state: update.state, nextAttemptAt: update.nextAttemptAt ?? now, lastError: update.lastError ?? null, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id).execute();
    },
    async list(tenantId: string, limit = 50): Promise<WebhookEvent[]> {
      return db.selectFrom('webhookEvents').selectAll().where('tenantId', '=', tenantId).orderBy('id', 'desc').limit(limit).execute();
    },
  };
}
