import crypto from 'node:crypto';
import { checkWebhookUrl, resolveWebhookAddress } from './webhook-target.ts';
import { isCertpushError } from '../errors.ts';
import type { AuditRole } from '../store/roles/audit.ts';
import type { TenantsRole } from '../store/roles/tenants.ts';
import type { WebhooksRole } from '../store/roles/webhooks.ts';
import { type Actor, actorName, type ServiceContext } from './context.ts';
import { notFound, ServiceError, unprocessable } from './errors.ts';
import { requireTenant } from './tenants.ts';

/** Associated data sealing a tenant's webhook secret. */
export const webhookSecretContext = (tenantId: string) => `tenant:${tenantId}:webhook-secret`;

/** How long registering a webhook waits for its host to resolve. */
const REGISTER_RESOLVE_TIMEOUT_MS = 5000;

/** What a tenant can subscribe to. */
export const WEBHOOK_EVENTS = ['certificate.expiring', 'certificate.expired', 'device.invalidated', 'notification.completed', 'tenant.paused'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookView {
  url: string;
  events: WebhookEventName[];
}

/** Register (or replace) the tenant's webhook. The signing secret is in the answer only. */
export async function putWebhook(ctx: ServiceContext<TenantsRole & WebhooksRole & AuditRole>, actor: Actor, tenantId: string, input: { url: string; events?: string[] }): Promise<WebhookView & { secret: string }> {
  await requireTenant(ctx, tenantId);
  const url = checkWebhookUrl(input.url, { allowInsecure: ctx.config.webhookAllowInsecure });
  // Refuse a private or loopback target now, not only at send time (it is checked again then:
  // DNS may change its answer).
  try {
    await resolveWebhookAddress(url, { allowInsecure: ctx.config.webhookAllowInsecure, timeoutMs: REGISTER_RESOLVE_TIMEOUT_MS });
  } catch (error) {
    if (isCertpushError(error, 'WEBHOOK_ADDRESS_FORBIDDEN')) throw new ServiceError(error.code, `The webhook URL's host ${url.hostname} is not a public address (loopback, private, link-local or metadata); certpush calls webhooks only at public addresses.`);
    if (isCertpushError(error)) throw new ServiceError(error.code, `${error.message} Give a host name that resolves in public DNS.`);
    throw error;
  }
  const events = input.events ?? [...WEBHOOK_EVENTS];
  const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (unknown.length > 0 || events.length === 0) throw unprocessable('WEBHOOK_EVENTS', `Unknown event(s) ${unknown.join(', ') || '(none given)'}; choose from ${WEBHOOK_EVENTS.join(', ')}.`);
  const secret = `whsec_${crypto.randomBytes(32).toString('base64url')}`;
  await ctx.store.webhooks.put({ tenantId, url: input.url, secretSealed: ctx.secrets.seal(secret, webhookSecretContext(tenantId)), events: events.join(','), updatedAt: ctx.now().getTime() });
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: 'webhook.configured', detail: { url: input.url, events } });
  return { url: input.url, events: events as WebhookEventName[], secret };
}

export async function getWebhook(ctx: ServiceContext<TenantsRole & WebhooksRole>, tenantId: string): Promise<WebhookView> {
  await requireTenant(ctx, tenantId);
  const hook = await ctx.store.webhooks.get(tenantId);
  if (!hook) throw notFound('The webhook of this tenant');
  return { url: hook.url, events: hook.events.split(',') as WebhookEventName[] };
}

export async function deleteWebhook(ctx: ServiceContext<TenantsRole & WebhooksRole & AuditRole>, actor: Actor, tenantId: string): Promise<void> {
  await requireTenant(ctx, tenantId);
  if (!(await ctx.store.webhooks.remove(tenantId))) throw notFound('The webhook of this tenant');
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: 'webhook.deleted' });
}

/** Queue an event for the tenant's webhook, if it has one subscribed to it. */
export async function emitWebhookEvent(ctx: ServiceContext<WebhooksRole>, tenantId: string, event: WebhookEventName, data: Record<string, unknown>): Promise<void> {
  const hook = await ctx.store.webhooks.get(tenantId);
  if (!hook || !hook.events.split(',').includes(event)) return;
  const payload = JSON.stringify({ event, tenantId, at: ctx.now().toISOString(), data });
  await ctx.store.webhookEvents.enqueue(tenantId, event, payload, ctx.now().getTime());
}
