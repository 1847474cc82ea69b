import type { WebhookEvent } from '../webhook-events.ts';
import type { WebhookRecord } from '../webhooks.ts';

/** Role: each tenant's webhook target (URL, sealed secret, events). Implemented by `webhooksRepository`. */
export interface WebhookStore {
  get(tenantId: string): Promise<WebhookRecord | undefined>;
  put(record: WebhookRecord): Promise<void>;
  remove(tenantId: string): Promise<boolean>;
}

/**
 * Role: webhook events as a durable outbox — queued, leased by the sender, finished.
 * Implemented by `webhookEventsRepository` (src/store/webhook-events.ts).
 */
export interface WebhookEventStore {
  enqueue(tenantId: string, event: string, payload: string, now?: number): Promise<void>;
  /** Tenants with events due now, the longest-waiting first. */
  dueTenants(limit: number, now?: number): Promise<string[]>;
  /** Lease due events (of one tenant when given) for `leaseMs`; a lapsed lease makes them due again. */
  claim(limit: number, leaseMs: number, now?: number, tenantId?: string): Promise<WebhookEvent[]>;
  /** Record an attempt: delivered, failed for good, or pending again at `nextAttemptAt`. */
  finish(id: number, update: { state: 'pending' | 'delivered' | 'failed'; nextAttemptAt?: number; lastError?: string | null }, now?: number): Promise<void>;
  /** The tenant's latest events, newest first. */
  list(tenantId: string, limit?: number): Promise<WebhookEvent[]>;
}

/** The part of the store that webhook configuration and the webhook sender work with. */
export interface WebhooksRole {
  readonly webhooks: WebhookStore;
  readonly webhookEvents: WebhookEventStore;
}
