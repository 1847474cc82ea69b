import type { AuditEntry } from '../audit.ts';

/** Role: the audit log, append-only. Implemented by `auditRepository` (src/store/audit.ts). */
export interface AuditStore {
  /** Record who did what to which tenant (null: to none). Details never hold secrets. */
  record(entry: { tenantId: string | null; actor: string; action: string; detail?: Record<string, unknown> }, now?: number): Promise<void>;
  /** The latest entries, newest first; of one tenant, or all for null. */
  list(tenantId: string | null, limit?: number): Promise<AuditEntry[]>;
}

/** The part of the store every use-case that changes something records to. */
export interface AuditRole {
  readonly audit: AuditStore;
}
