import type { Kysely, Selectable } from 'kysely';
import type { AuditTable, Schema } from './schema.ts';
import type { AuditStore } from './roles/audit.ts';

export type AuditEntry = Omit<Selectable<AuditTable>, 'detail'> & { detail: Record<string, unknown> };

export function auditRepository(db: Kysely<Schema>): AuditStore {
  return {
    /** Record who did what to which tenant. Details never hold secrets. */
    async record(entry: { tenantId: string | null; actor: string; action: string; detail?: Record<string, unknown> }, now = Date.now()): Promise<void> {
      await db.insertInto('auditLog').values({ tenantId: entry.tenantId, actor: entry.actor, action: entry.action, detail: JSON.stringify(entry.detail ?? {}), at: now }).execute();
    },
    async list(tenantId: string | null, limit = 100): Promise<AuditEntry[]> {
      let q = db.selectFrom('auditLog').selectAll();
      if (tenantId !== null) q = q.where('tenantId', '=', tenantId);
      const rows = await q.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
    },
  };
}
