import type { FoldResult } from '../retention.ts';

/**
 * Role: named leases for jobs only one process may run at a time. Implemented by
 * `leasesRepository` (src/store/leases.ts).
 */
export interface LeaseStore {
  /** Take the lease for `ms`, or extend it when `holder` has it; false while someone else does. */
  acquire(name: string, holder: string, ms: number, now?: number): Promise<boolean>;
  /** Give it back early, if `holder` still has it. */
  release(name: string, holder: string): Promise<void>;
}

/**
 * Role: retention's storage side — notifications past the window, folding their final rows
 * into counts, giving the space back. Implemented by `retentionRepository` (src/store/retention.ts).
 */
export interface RetentionStore {
  /** Completed notifications with rows still kept, completed before `cutoff`, oldest first. */
  due(cutoff: number, limit: number): Promise<Array<{ seq: number; id: string }>>;
  /** Delete up to `limit` results of notification `seq` into its folded counts, in one transaction (the queue is never touched). */
  fold(seq: number, limit: number, now?: number): Promise<FoldResult>;
  /** Make deleted results' space usable again (VACUUM, or SQLite's free pages handed back). */
  reclaim(maxPages?: number): Promise<void>;
  /** Clear the queue's dead row versions (PostgreSQL VACUUM; nothing on SQLite). Never deletes a row. */
  tidyQueue(): Promise<void>;
}

/** The part of the store background maintenance (retention) runs on. */
export interface MaintenanceRole {
  readonly leases: LeaseStore;
  readonly retention: RetentionStore;
}
