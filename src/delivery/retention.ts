import type { Store } from '../store/store.ts';

export const DAY_MS = 86_400_000;
/** The lease's name in the leases table. */
export const RETENTION_LEASE = 'retention';

export interface RetentionOptions {
  /** Who runs this pass (the worker id); one holder at a time across processes. */
  holder: string;
  /** Keep per-device rows this long after their notification completed. */
  retentionMs: number;
  now?: number;
  /** Rows one statement folds and deletes: small, so claims and the API never wait long behind it. */
  batchRows?: number;
  /** Rows one pass handles at most; the rest wait for the next pass. */
  maxRows?: number;
  /** How long the lease lasts between renewals; a holder that died is replaced after it. */
  leaseMs?: number;
}

export interface RetentionPass {
  /** False when another process holds the lease. */
  ran: boolean;
  deleted: number;
  /** Notifications whose detail expired in this pass. */
  expired: number;
}

/**
 * One bounded retention pass: fold the rows of notifications that completed before the window
 * into their counts and delete them, oldest first, in batches, then give the space back.
 * Only completed notifications qualify and pending rows are never deleted, so a notification
 * still being delivered (retrying for days) keeps everything until it is done.
 */
export async function runRetention(store: Pick<Store, 'leases' | 'retention'>, options: RetentionOptions): Promise<RetentionPass> {
  const now = options.now ?? Date.now();
  const batchRows = options.batchRows ?? 2000;
  const maxRows = options.maxRows ?? 100_000;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const lease = () => store.leases.acquire(RETENTION_LEASE, options.holder, leaseMs, Date.now());
  if (!await lease()) return { ran: false, deleted: 0, expired: 0 };
  const pass: RetentionPass = { ran: true, deleted: 0, expired: 0 };
  try {
    const cutoff = now - options.retentionMs;
    outer: while (pass.deleted < maxRows) {
      const due = await store.retention.due(cutoff, 100);
      let progressed = false;
      for (const { seq } of due) {
        for (;;) {
          const { deleted, finished } = await store.retention.fold(seq, Math.min(batchRows, maxRows - pass.deleted), now);
          pass.deleted += deleted;
          if (finished) pass.expired++;
          if (deleted > 0 || finished) progressed = true;
          // Someone else took the lease (ours ran out): stop, they carry on.
          if (!await lease()) break outer;
          if (pass.deleted >= maxRows) break outer;
          if (finished || deleted === 0) break;
        }
      }
      // Nothing left, or only notifications that cannot finish (none should: they are completed).
      if (due.length === 0 || !progressed) break;
    }
    if (pass.deleted > 0) await store.retention.reclaim();
    // Every pass, whatever it deleted: the queue's churn is the delivery engine's, not retention's.
    await store.retention.tidyQueue();
  } finally {
    await store.leases.release(RETENTION_LEASE, options.holder);
  }
  return pass;
}
