import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceContext } from '../service/context.ts';
import type { NotificationPayload } from '../service/notifications.ts';
import type { ClaimedDelivery, DeliveryUpdate } from '../store/deliveries.ts';
import { type AttemptResult, DEFAULT_RETRY_POLICY, type RetryPolicy, rowUpdate } from './attempt-outcome.ts';
import { PlatformSenders } from './platform-senders.ts';

/** Something the worker noticed that others (webhooks, metrics, logs) care about. */
export type DeliveryEvent =
  | { type: 'attempt'; tenantId: string; platform: string; result: AttemptResult; ms: number }
  /** One per tenant per batch, so a mass invalidation is one event, not thousands. */
  | { type: 'devices.invalidated'; tenantId: string; devices: Array<{ deviceId: string; reason: string }> }
  | { type: 'notification.completed'; tenantId: string; notificationId: string }
  | { type: 'tenant.paused'; tenantId: string; reason: string };

export interface WorkerOptions {
  workerId: string;
  /** Rows per claim. */
  batchSize?: number;
  /** How long a claimed row is ours; past it (we died) another worker may take it. */
  leaseMs?: number;
  /** Claims processed at once: the next claim overlaps the current batch's sending. */
  concurrentBatches?: number;
  /** Wait when the queue is empty (a new notification wakes it sooner: store.queue). */
  pollMs?: number;
  retry?: RetryPolicy;
  /**
   * Multiply every retry wait by this (tests only: MPNS's "retry after an hour" cannot be
   * waited for in a test). Default 1.
   */
  retryDelayScale?: number;
  /** Close a tenant's clients after this long unused. */
  clientIdleMs?: number;
  onEvent?: (event: DeliveryEvent) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;
}

/**
 * Takes delivery rows from the queue (the deliveries table), sends them with each tenant's
 * credential, and writes back every outcome. Many workers may run against one PostgreSQL: the
 * claim's lease and SKIP LOCKED keep them apart; a worker that dies leaves rows that come due
 * again when their lease ends (at-least-once).
 */
export class DeliveryWorker {
  readonly #ctx: ServiceContext;
  readonly #options: Required<Omit<WorkerOptions, 'onEvent' | 'log'>> & Pick<WorkerOptions, 'onEvent' | 'log'>;
  readonly senders: PlatformSenders;
  readonly #inFlight = new Set<Promise<void>>();
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  /** A wake-up that came while the loop was busy: the next idle wait returns at once. */
  #woken = false;
  #unsubscribe: (() => void) | null = null;
  #pausedCache: { at: number; ids: Set<string> } = { at: 0, ids: new Set() };
  #lastEviction = Date.now();

  constructor(ctx: ServiceContext, options: WorkerOptions) {
    this.#ctx = ctx;
    // Options given as undefined keep their defaults (a plain spread would overwrite them).
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as WorkerOptions;
    this.#options = {
      batchSize: 1000, leaseMs: 60_000, concurrentBatches: 2, pollMs: 500, retry: DEFAULT_RETRY_POLICY, retryDelayScale: 1, clientIdleMs: 10 * 60_000,
      ...given,
    };
    this.senders = new PlatformSenders(ctx, { idleMs: this.#options.clientIdleMs });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    // A notification queued anywhere (PostgreSQL: in any process) starts a claim now.
    this.#unsubscribe = this.#ctx.store.queue.subscribe(() => this.wake());
    this.#loop = this.#run();
  }

  /** Look at the queue now (a notification was just queued). */
  wake(): void {
    // The claim running now may have read the queue before the new rows were committed.
    if (this.#wake) this.#wake();
    else this.#woken = true;
  }

  /** A tenant's credential changed: rebuild its clients on next use. */
  credentialChanged(tenantId: string): void {
    this.senders.invalidate(tenantId);
    this.#pausedCache.at = 0;
    this.wake();
  }

  /** Stop claiming, finish the batches in flight (SIGTERM drains), close the clients. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    this.wake();
    await this.#loop;
    await Promise.all(this.#inFlight);
    await this.senders.closeAll();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        if (this.#inFlight.size >= this.#options.concurrentBatches) {
          await Promise.race(this.#inFlight);
          continue;
        }
        const rows = await this.#ctx.store.deliveries.claim({
          workerId: this.#options.workerId,
          limit: this.#options.batchSize,
          leaseMs: this.#options.leaseMs,
          excludeTenants: await this.#paused(),
        });
        if (rows.length === 0) {
          if (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
          else await this.#idle();
          continue;
        }
        const batch = this.#process(rows).catch((error: Error) => this.#options.log?.('error', 'delivery batch failed; its rows come due again when their lease ends', { error: error.message }));
        this.#inFlight.add(batch);
        void batch.finally(() => this.#inFlight.delete(batch));
      } catch (error) {
        // The database hiccupped: back off a little and try again; rows are safe in the table.
        this.#options.log?.('error', 'claiming deliveries failed', { error: (error as Error).message });
        await sleep(1000);
      }
    }
  }

  async #idle(): Promise<void> {
    if (Date.now() - this.#lastEviction > 60_000) {
      this.senders.evictIdle();
      this.#lastEviction = Date.now();
    }
    if (this.#woken) {
      this.#woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#options.pollMs);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = null;
  }

  async #paused(): Promise<Set<string>> {
    if (Date.now() - this.#pausedCache.at > 1000) this.#pausedCache = { at: Date.now(), ids: new Set(await this.#ctx.store.tenants.pausedIds()) };
    return this.#pausedCache.ids;
  }

  async #process(rows: ClaimedDelivery[]): Promise<void> {
    const now = Date.now();
    const updates: DeliveryUpdate[] = [];
    const invalidated: Array<{ row: ClaimedDelivery; reason: string }> = [];
    const paused = new Map<string, string>();
    const groups = new Map<string, ClaimedDelivery[]>();
    const payloads = new Map<string, NotificationPayload>();
    const policy = this.#options.retry;

    for (const row of rows) {
      if (row.platform === null) updates.push(rowUpdate(row.id, row.attempts, { class: 'rejected', status: null, reason: 'DeviceDeleted' }, null, policy, now));
      else if (row.deviceInvalidAt !== null) updates.push(rowUpdate(row.id, row.attempts, { class: 'invalid', status: null, reason: 'DeviceInvalid' }, null, policy, now));
      else if (row.expiresAt !== null && row.expiresAt <= now) updates.push(rowUpdate(row.id, row.attempts, { class: 'expired', status: null, reason: 'Expired' }, null, policy, now));
      else {
        const key = `${row.tenantId}\u0000${row.platform}`;
        (groups.get(key) ?? groups.set(key, []).get(key)!).push(row);
      }
    }

    await Promise.all([...groups.values()].map(async (group) => {
      const { tenantId, platform } = group[0]!;
      const sender = await this.senders.forTenant(tenantId, platform!);
      if ('credentialProblem' in sender) {
        paused.set(tenantId, sender.credentialProblem);
        for (const row of group) updates.push(rowUpdate(row.id, row.attempts, { class: 'credential', status: null, reason: sender.credentialProblem }, row.expiresAt, policy, now));
        return;
      }
      await Promise.all(group.map(async (row) => {
        let payload = payloads.get(row.notificationId);
        if (!payload) payloads.set(row.notificationId, (payload = JSON.parse(row.payload) as NotificationPayload));
        const started = performance.now();
        let result: AttemptResult;
        try {
          result = await sender.send(row, payload);
        } catch (error) {
          // A client that threw (not an outcome): treat as transient, the budget bounds it.
          result = { class: 'retry', status: null, reason: `ClientError: ${(error as Error).message}`, retryAfterMs: 5000 };
        }
        this.#options.onEvent?.({ type: 'attempt', tenantId, platform: platform!, result, ms: performance.now() - started });
        if (result.retryAfterMs !== undefined) result = { ...result, retryAfterMs: result.retryAfterMs * this.#options.retryDelayScale };
        if (result.class === 'invalid') invalidated.push({ row, reason: result.reason ?? 'Invalid' });
        if (result.class === 'credential') paused.set(tenantId, result.reason ?? 'CredentialRejected');
        updates.push(rowUpdate(row.id, row.attempts, result, row.expiresAt, policy, Date.now()));
      }));
    }));

    const store = this.#ctx.store;
    await store.deliveries.finish(updates);
    const byReason = Map.groupBy(invalidated, (i) => i.reason);
    for (const [reason, items] of byReason) await store.devices.markInvalid(items.map((i) => i.row.deviceId), reason);
    for (const [tenantId, items] of Map.groupBy(invalidated, (i) => i.row.tenantId)) {
      this.#options.onEvent?.({ type: 'devices.invalidated', tenantId, devices: items.map((i) => ({ deviceId: i.row.deviceId, reason: i.reason })) });
    }
    for (const [tenantId, reason] of paused) {
      await store.tenants.pause(tenantId, reason);
      this.#pausedCache.at = 0;
      this.#options.onEvent?.({ type: 'tenant.paused', tenantId, reason });
      this.#options.log?.('warn', 'tenant paused: its credential was refused; rows wait until it is replaced', { tenantId, reason });
    }
    const completed = await store.notifications.completeFinished([...new Set(rows.map((r) => r.notificationId))]);
    for (const n of completed) this.#options.onEvent?.({ type: 'notification.completed', tenantId: n.tenantId, notificationId: n.id });
  }
}
