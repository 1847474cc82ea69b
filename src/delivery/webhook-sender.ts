import crypto from 'node:crypto';
import type { ServiceContext } from '../service/context.ts';
import type { WebhooksRole } from '../store/roles/webhooks.ts';
import type { WebhookEvent } from '../store/webhook-events.ts';
import { webhookSecretContext } from '../service/webhooks.ts';
import { postWebhook, WEBHOOK_DEADLINE_MS } from './webhook-call.ts';

/** Header with `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'certpush-signature';
/** Retry waits after each failed call; past the last, the event is `failed`. */
export const WEBHOOK_BACKOFF_MS = [10_000, 60_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 6 * 3600_000];

/** Sign a body as receivers verify it: HMAC-SHA256 over "<timestamp>.<body>". */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Verify a Certpush-Signature header (for receivers; certpush's tests use it too). Rejects
 * signatures older than `toleranceS` to stop replays.
 */
export function verifyWebhookSignature(secret: string, body: string, header: string, options: { toleranceS?: number; now?: number } = {}): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return false;
  if (Math.abs((options.now ?? Date.now()) / 1000 - t) > (options.toleranceS ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** Calls one tenant's webhook may have open at once, in one process. */
export const WEBHOOK_CONCURRENCY_PER_TENANT = 4;
/** Tenants served per run; the rest (the longest waiting go first) are served on the next. */
const TENANTS_PER_RUN = 200;
/** A claimed event stays with this process this long; far past the call's deadline. */
const LEASE_MS = 60_000;

export interface WebhookDispatcherOptions {
  perTenant?: number;
  deadlineMs?: number;
}

/**
 * Sends the webhook outbox, tenant by tenant. A run only claims events and starts their calls;
 * it does not wait for them, so one tenant's slow or broken target (each call is bounded by
 * its deadline) holds at most that tenant's own slots, never the dispatcher or another tenant.
 * Expiry warnings go through the same outbox and the same slots.
 */
export class WebhookDispatcher {
  readonly #ctx: ServiceContext<WebhooksRole>;
  readonly #perTenant: number;
  readonly #deadlineMs: number;
  readonly #inFlight = new Map<string, number>();
  readonly #calls = new Set<Promise<void>>();

  constructor(ctx: ServiceContext<WebhooksRole>, options: WebhookDispatcherOptions = {}) {
    this.#ctx = ctx;
    this.#perTenant = options.perTenant ?? WEBHOOK_CONCURRENCY_PER_TENANT;
    this.#deadlineMs = options.deadlineMs ?? WEBHOOK_DEADLINE_MS;
  }

  /** Claim what is due for tenants with a free slot and start those calls; returns how many started. */
  async run(now = Date.now()): Promise<number> {
    let started = 0;
    for (const tenantId of await this.#ctx.store.webhookEvents.dueTenants(TENANTS_PER_RUN, now)) {
      const free = this.#perTenant - (this.#inFlight.get(tenantId) ?? 0);
      if (free <= 0) continue;
      const events = await this.#ctx.store.webhookEvents.claim(free, LEASE_MS, now, tenantId);
      for (const event of events) this.#start(event);
      started += events.length;
    }
    return started;
  }

  /** Calls under way (each ends by its deadline). */
  get inFlight(): number {
    return this.#calls.size;
  }

  /** Wait for the calls under way to finish and be recorded. */
  async drain(): Promise<void> {
    await Promise.all(this.#calls);
  }

  #start(event: WebhookEvent): void {
    this.#inFlight.set(event.tenantId, (this.#inFlight.get(event.tenantId) ?? 0) + 1);
    const call = this.#send(event).finally(() => {
      const left = (this.#inFlight.get(event.tenantId) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(event.tenantId, left);
      else this.#inFlight.delete(event.tenantId);
      this.#calls.delete(call);
    });
    this.#calls.add(call);
  }

  async #send(event: WebhookEvent): Promise<void> {
    const { store } = this.#ctx;
    let failure: string | null;
    try {
      failure = await this.#post(event);
    } catch {
      failure = 'certpush could not prepare the call (its webhook record is unreadable); register the webhook again';
    }
    try {
      if (failure === null) return await store.webhookEvents.finish(event.id, { state: 'delivered' });
      const wait = WEBHOOK_BACKOFF_MS[event.attempts];
      if (wait === undefined) return await store.webhookEvents.finish(event.id, { state: 'failed', lastError: failure });
      await store.webhookEvents.finish(event.id, { state: 'pending', nextAttemptAt: Date.now() + wait, lastError: failure });
    } catch {
      // The database did not take the outcome: the lease returns the event for another try.
    }
  }

  /** POST one event to its tenant's webhook; resolves with an error text, or null on 2xx. */
  async #post(event: WebhookEvent): Promise<string | null> {
    const hook = await this.#ctx.store.webhooks.get(event.tenantId);
    if (!hook) return 'no webhook configured any more';
    const secret = this.#ctx.secrets.open(hook.secretSealed, webhookSecretContext(event.tenantId)).toString('utf8');
    const body = event.payload;
    return postWebhook({
      url: hook.url,
      allowInsecure: this.#ctx.config.webhookAllowInsecure,
      deadlineMs: this.#deadlineMs,
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'certpush-webhooks/1',
        'certpush-event': event.event,
        'certpush-delivery': String(event.id),
        [SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
      },
    });
  }
}
