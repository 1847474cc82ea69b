import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceContext } from '../service/context.ts';
import type { NotificationPayload } from '../service/notifications.ts';
import type { ClaimedDelivery, DeliveryUpdate } from '../store/deliveries.ts';
import { asEngineWork } from '../store/engine-lane.ts';
import { type AttemptResult, DEFAULT_RETRY_POLICY, deferredUpdate, type RetryPolicy, type RetryWindow, rowUpdate } from './attempt-outcome.ts';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.ts';
import { PlatformSenders } from './platform-senders.ts';

/** Something the worker noticed that others (webhooks, metrics, logs) care about. */
export type DeliveryEvent =
  | { type: 'attempt'; tenantId: string; platform: string; result: AttemptResult; ms: number }
  /** One per tenant per batch, so a mass invalidation is one event, not thousands. */
  | { type: 'devices.invalidated'; tenantId: string; devices: Array<{ deviceId: string; reason: string }> }
  | { type: 'notification.completed'; tenantId: string; notificationId: string }
  | { type: 'tenant.paused'; tenantId: string; reason: string; platform?: string };

export interface WorkerOptions {
  workerId: string;
  /** Rows per claim. */
  batchSize?: number;
  /** How long a claimed row is ours; past it (we died) another worker may take it. */
  leaseMs?: number;
  /** Batches claimed and sent at once: each slot's claim overlaps the others' claims and sending. */
  concurrentBatches?: number;
  /** Wait when the queue is empty (a new notification wakes it sooner: store.queue). */
  pollMs?: number;
  retry?: Partial<RetryPolicy>;
  /** When an unreachable push endpoint stops being tried for a while (see circuit-breaker.ts). */
  circuit?: Omit<CircuitBreakerOptions, 'now'>;
  /**
   * Multiply every retry wait — the push service's, the row's backoff and the circuit's open
   * time — by this (tests only: MPNS's "retry after an hour" cannot be waited for in a test).
   * The retry window is not scaled. Default 1.
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
  readonly #options: Required<Omit<WorkerOptions, 'onEvent' | 'log' | 'retry' | 'circuit'>> & Pick<WorkerOptions, 'onEvent' | 'log'>;
  readonly #policy: RetryPolicy;
  readonly senders: PlatformSenders;
  /** Push endpoints that stopped answering, shared by every tenant that sends there. */
  readonly circuits: CircuitBreaker;
  readonly #inFlight = new Set<Promise<void>>();
  #running = false;
  #loop: Promise<void> | null = null;
  /** Slots waiting for work (the poll or a wake-up), and how many are claiming now. */
  readonly #idlers = new Set<() => void>();
  #claiming = 0;
  /** Paused tenant platforms (`tenant\0platform`), and tenants with nothing left to send (all paused). */
  #pausedCache: { at: number; platforms: Set<string>; tenants: Set<string> } = { at: 0, platforms: new Set(), tenants: new Set() };
  #pausesRead: Promise<void> | null = null;
  #pausesGeneration = 0;
  /** A wake-up that came while a claim ran: the next idle wait returns at once. */
  #woken = false;
  #unsubscribe: (() => void) | null = null;
  #lastEviction = Date.now();

  constructor(ctx: ServiceContext, options: WorkerOptions) {
    this.#ctx = ctx;
    // Options given as undefined keep their defaults (a plain spread would overwrite them).
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as WorkerOptions;
    this.#options = {
      batchSize: 1000, leaseMs: 60_000, concurrentBatches: 2, pollMs: 500, retryDelayScale: 1, clientIdleMs: 10 * 60_000,
      ...given,
    };
    const scale = this.#options.retryDelayScale;
    const retry = { ...DEFAULT_RETRY_POLICY, ...Object.fromEntries(Object.entries(options.retry ?? {}).filter(([, v]) => v !== undefined)) };
    this.#policy = { ...retry, backoff: { baseMs: retry.backoff.baseMs * scale, maxMs: retry.backoff.maxMs * scale } };
    const circuit = options.circuit ?? {};
    this.circuits = new CircuitBreaker({ threshold: circuit.threshold, openMs: (circuit.openMs ?? 1000) * scale, maxOpenMs: (circuit.maxOpenMs ?? 60_000) * scale });
    this.senders = new PlatformSenders(ctx, { idleMs: this.#options.clientIdleMs });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    // A notification queued anywhere (PostgreSQL: in any process) starts a claim now.
    this.#unsubscribe = this.#ctx.store.queue.subscribe(() => this.wake());
    // Its statements are the engine's: on SQLite its reads skip the API's queue (engine-lane.ts).
    this.#loop = asEngineWork(() => this.#run());
  }

  /** Look at the queue now (a notification was just queued). */
  wake(): void {
    // A claim running now may have read the queue before the new rows were committed: the next
    // slot to find the queue empty looks once more instead of waiting.
    if (this.#claiming > 0) this.#woken = true;
    for (const idler of [...this.#idlers]) idler();
  }

  /** A tenant's credential changed: rebuild its clients on next use. */
  credentialChanged(tenantId: string): void {
    this.senders.invalidate(tenantId);
    this.#pausesChanged();
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

  /**
   * `concurrentBatches` slots, each claiming a batch and then sending it. A slot's claim overlaps
   * the others' sending, and claims overlap one another: under 200 API clients a claim spent
   * ~330 ms waiting behind the API's statements in the SQLite threads' queues (its own work is a
   * few ms), and with one claim at a time the fan-out went no faster than one claim per 330 ms.
   * Two claims at once are safe: on SQLite each UPDATE takes only rows still due when it runs
   * (one writer), on PostgreSQL SKIP LOCKED keeps them apart as it does between processes.
   */
  async #run(): Promise<void> {
    await Promise.all(Array.from({ length: Math.max(1, this.#options.concurrentBatches) }, () => this.#slot()));
  }

  async #slot(): Promise<void> {
    while (this.#running) {
      let rows: ClaimedDelivery[];
      this.#claiming++;
      try {
        rows = await this.#ctx.store.deliveries.claim({
          workerId: this.#options.workerId,
          limit: this.#options.batchSize,
          leaseMs: this.#options.leaseMs,
          excludeTenants: (await this.#paused()).tenants,
        });
      } catch (error) {
        // The database hiccupped: back off a little and try again; rows are safe in the table.
        this.#options.log?.('error', 'claiming deliveries failed', { error: (error as Error).message });
        await sleep(1000);
        continue;
      } finally {
        this.#claiming--;
      }
      if (rows.length === 0) {
        // A fan-out whose queue ran dry with nobody feeding it (its feeder died between slices,
        // or fed a slice's last rows): queue its next slice and claim it now, not after a wait.
        if (await this.#feed()) continue;
        await this.#idle();
        continue;
      }
      const batch = this.#process(rows).catch((error: Error) => this.#options.log?.('error', 'delivery batch failed; its rows come due again when their lease ends', { error: error.message }));
      this.#inFlight.add(batch);
      await batch;
      this.#inFlight.delete(batch);
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
      const done = () => {
        clearTimeout(timer);
        this.#idlers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.#options.pollMs);
      this.#idlers.add(done);
    });
  }

  /**
   * Run a write, retrying it while the database is away (a failover, a terminated backend), for
   * as long as the batch's lease still has a quarter left; after that, rows come due again anyway.
   */
  async #persist(write: () => Promise<void>, claimedAt: number): Promise<void> {
    let wait = 100;
    for (;;) {
      try {
        return await write();
      } catch (error) {
        if (Date.now() + wait > claimedAt + this.#options.leaseMs * 0.75) throw error;
        this.#options.log?.('warn', 'writing delivery outcomes failed; trying again', { error: (error as Error).message, retryInMs: wait });
        await sleep(wait);
        wait = Math.min(wait * 2, 5000);
      }
    }
  }

  /** Each row's retry window: its notification's expiration, else its creation plus the policy's window. */
  #windows(rows: ClaimedDelivery[]): Map<string, RetryWindow> {
    const out = new Map<string, RetryWindow>();
    for (const r of rows) out.set(r.notificationId, { expiresAt: r.expiresAt, createdAt: r.notificationCreatedAt });
    return out;
  }

  /**
   * The pauses, at most a second old. A list that is merely old is refreshed behind the claim
   * that uses it (a pause takes effect within the second either way), so a push woken by a
   * NOTIFY does not wait for that query; after a change this process knows of (a pause, a new
   * credential) the fresh list is waited for.
   */
  async #paused(): Promise<{ platforms: Set<string>; tenants: Set<string> }> {
    if (Date.now() - this.#pausedCache.at > 1000) {
      if (!this.#pausesRead) {
        const read: Promise<void> = this.#readPauses().finally(() => {
          if (this.#pausesRead === read) this.#pausesRead = null;
        });
        // Logged once here; a caller that waits also gets the error.
        read.catch((error: Error) => this.#options.log?.('warn', 'reading paused tenants failed', { error: error.message }));
        this.#pausesRead = read;
      }
      if (this.#pausedCache.at === 0) await this.#pausesRead;
    }
    return this.#pausedCache;
  }

  async #readPauses(): Promise<void> {
    const generation = this.#pausesGeneration;
    const pauses = await this.#ctx.store.tenants.pausedPlatforms();
    // A change since the read began makes it stale: the next call reads again.
    if (generation !== this.#pausesGeneration) return;
    const platforms = new Set(pauses.map((p) => `${p.tenantId}\u0000${p.platform}`));
    // A tenant is left out of claims only when nothing of it can go: 'all', or both platforms.
    const tenants = new Set(pauses.filter((p) => p.platform === 'all' || (platforms.has(`${p.tenantId}\u0000mdm`) && platforms.has(`${p.tenantId}\u0000mpns`))).map((p) => p.tenantId));
    // A pause that is gone was lifted by a new credential, perhaps in another process: forget
    // this tenant's remembered credential read, or a send within its second could still use the
    // refused certificate and pause the tenant again with the good one installed.
    for (const key of this.#pausedCache.platforms) {
      if (!platforms.has(key)) this.senders.invalidate(key.slice(0, key.indexOf('\u0000')));
    }
    this.#pausedCache = { at: Date.now(), platforms, tenants };
  }

  /** Pauses changed (here, or a credential was replaced): the next claim reads them first. */
  #pausesChanged(): void {
    this.#pausesGeneration++;
    this.#pausesRead = null;
    this.#pausedCache.at = 0;
  }

  async #process(rows: ClaimedDelivery[]): Promise<void> {
    const now = Date.now();
    const updates: DeliveryUpdate[] = [];
    const invalidated: Array<{ row: ClaimedDelivery; reason: string; since?: number }> = [];
    const paused = new Map<string, { tenantId: string; platform: string; reason: string }>();
    const pausedNow = (await this.#paused()).platforms;
    const groups = new Map<string, ClaimedDelivery[]>();
    const payloads = new Map<string, NotificationPayload>();
    // Parsed once per notification, and only for a platform that reads it (MPNS; MDM's payload is the device's push magic).
    const payloadOf = (row: ClaimedDelivery): NotificationPayload => {
      let payload = payloads.get(row.notificationId);
      if (!payload) payloads.set(row.notificationId, (payload = JSON.parse(row.payload) as NotificationPayload));
      return payload;
    };
    const policy = this.#policy;
    const windows = this.#windows(rows);

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
      if (pausedNow.has(`${tenantId}\u0000${platform}`)) {
        // Parked, uncounted, until the platform's credential is replaced (which wakes them) or a
        // recheck: the tenant's other platform keeps sending meanwhile.
        for (const row of group) updates.push({ ...rowUpdate(row.id, row.attempts, { class: 'credential', status: null, reason: 'PlatformPaused' }, null, policy, now), nextAttemptAt: now + PARKED_RECHECK_MS });
        return;
      }
      let sender;
      try {
        sender = await this.senders.forTenant(tenantId, platform!);
      } catch (error) {
        // Reading the credential failed (the database is away): the group retries, the rest of the batch goes on.
        for (const row of group) updates.push(rowUpdate(row.id, row.attempts, { class: 'retry', status: null, reason: `ClientError: ${(error as Error).message}`, retryAfterMs: 5000 * this.#options.retryDelayScale }, windows.get(row.notificationId)!, policy, now));
        return;
      }
      if ('credentialProblem' in sender) {
        paused.set(`${tenantId}\u0000${platform}`, { tenantId, platform: platform!, reason: sender.credentialProblem });
        for (const row of group) updates.push(rowUpdate(row.id, row.attempts, { class: 'credential', status: null, reason: sender.credentialProblem }, windows.get(row.notificationId)!, policy, now));
        return;
      }
      // The rows whose endpoint may be tried now; the rest wait for its circuit's next probe.
      const sendable: ClaimedDelivery[] = [];
      const endpoints: string[] = [];
      for (const row of group) {
        const endpoint = this.senders.endpointOf(row);
        const admission = this.circuits.admit(endpoint);
        if (admission.allowed) {
          sendable.push(row);
          endpoints.push(endpoint);
        } else updates.push(deferredUpdate(row.id, admission, endpoint, windows.get(row.notificationId)!, policy));
      }
      const started = performance.now();
      const pausedKey = `${tenantId}\u0000${platform}`;
      await sender.sendAll(sendable, payloadOf, (answer, i) => {
        const row = sendable[i]!;
        const endpoint = endpoints[i]!;
        let result = answer;
        if (unreachable(result)) this.circuits.failed(endpoint);
        else this.circuits.succeeded(endpoint);
        this.#options.onEvent?.({ type: 'attempt', tenantId, platform: platform!, result, ms: performance.now() - started });
        if (result.retryAfterMs !== undefined) result = { ...result, retryAfterMs: result.retryAfterMs * this.#options.retryDelayScale };
        if (result.class === 'invalid') invalidated.push({ row, reason: result.reason ?? 'Invalid', since: result.invalidSince });
        if (result.class === 'credential') paused.set(pausedKey, { tenantId, platform: platform!, reason: result.reason ?? 'CredentialRejected' });
        updates.push(rowUpdate(row.id, row.attempts, result, windows.get(row.notificationId)!, policy, Date.now()));
      });
    }));

    const store = this.#ctx.store;
    // The sends happened: losing their outcomes to a database blip would send them all again
    // when the lease ends. Keep trying for most of the lease instead.
    await this.#persist(() => store.deliveries.finish(updates), now);
    const marked = new Set<string>();
    for (const items of Map.groupBy(invalidated, (i) => `${i.reason}\u0000${i.since ?? ''}`).values()) {
      for (const id of await store.devices.markInvalid(items.map((i) => i.row), items[0]!.reason, Date.now(), items[0]!.since)) marked.add(id);
    }
    // Devices registered again after the push service's verdict stay valid and go unreported.
    for (const [tenantId, items] of Map.groupBy(invalidated.filter((i) => marked.has(i.row.deviceId)), (i) => i.row.tenantId)) {
      this.#options.onEvent?.({ type: 'devices.invalidated', tenantId, devices: items.map((i) => ({ deviceId: i.row.deviceId, reason: i.reason })) });
    }
    for (const { tenantId, platform, reason } of paused.values()) {
      await store.tenants.pause(tenantId, reason, Date.now(), platform);
      this.#pausesChanged();
      this.#options.onEvent?.({ type: 'tenant.paused', tenantId, reason, platform });
      this.#options.log?.('warn', 'tenant platform paused: its credential was refused; its rows wait until it is replaced', { tenantId, platform, reason });
    }
    const notifications = [...new Set(rows.map((r) => r.notificationId))];
    // This batch drained its fan-outs' queues a little: top them up before looking for completion.
    await this.#feed(notifications);
    await this.#complete(notifications);
  }

  /**
   * Queue the next slice of the fan-outs (of `ids`, or any) whose queue is low, and complete those
   * that ended with nothing queued. True when rows were queued: the other slots are woken for them.
   * A failure is logged: the cursor is durable, and the next empty claim feeds again.
   */
  async #feed(ids?: string[]): Promise<boolean> {
    try {
      const fed = await this.#ctx.store.notifications.feed(ids, Date.now(), { queue: this.#ctx.store.queue });
      if (fed.queued > 0) this.wake();
      if (ids === undefined) await this.#complete(fed.ended);
      return fed.queued > 0;
    } catch (error) {
      this.#options.log?.('error', 'queueing the next slice of a fan-out failed; it is tried again when a claim finds nothing', { error: (error as Error).message });
      return false;
    }
  }

  async #complete(ids: string[]): Promise<void> {
    const completed = await this.#ctx.store.notifications.completeFinished(ids);
    for (const n of completed) this.#options.onEvent?.({ type: 'notification.completed', tenantId: n.tenantId, notificationId: n.id });
  }
}

/** How often rows of a paused platform look again, should nothing wake them. */
const PARKED_RECHECK_MS = 60_000;

/** An attempt that found the endpoint unreachable (no answer at all), as opposed to one it answered. */
function unreachable(result: AttemptResult): boolean {
  // A client that threw (ClientError) is the tenant's problem — a credential that cannot be read —
  // not the endpoint's: it must not open the circuit for every tenant.
  return result.class === 'retry' && /^(ConnectionFailed|Timeout)\b/.test(result.reason ?? '');
}

