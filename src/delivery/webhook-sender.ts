import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isCertpushError } from '../errors.ts';
import type { ServiceContext } from '../service/context.ts';
import type { WebhookEvent } from '../store/webhook-events.ts';
import { resolveWebhookAddress } from '../service/webhook-target.ts';
import { webhookSecretContext } from '../service/webhooks.ts';

/** Header with `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'certpush-signature';
/** Retry waits after each failed call; past the last, the event is `failed`. */
export const WEBHOOK_BACKOFF_MS = [10_000, 60_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 6 * 3600_000];
const TIMEOUT_MS = 10_000;

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

/** POST one event to its tenant's webhook; resolves with an error text, or null on 2xx. */
async function post(ctx: ServiceContext, event: WebhookEvent): Promise<string | null> {
  const hook = await ctx.store.webhooks.get(event.tenantId);
  if (!hook) return 'no webhook configured any more';
  const allowInsecure = ctx.config.webhookAllowInsecure;
  const url = new URL(hook.url);
  let address: { address: string; family: number };
  try {
    address = await resolveWebhookAddress(url, { allowInsecure });
  } catch (error) {
    return isCertpushError(error) ? error.message : (error as Error).message;
  }
  const secret = ctx.secrets.open(hook.secretSealed, webhookSecretContext(event.tenantId)).toString('utf8');
  const body = event.payload;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = transport.request({
      method: 'POST',
      host: address.address,
      family: address.family,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      servername: url.protocol === 'https:' && !/^[\d.:]+$/.test(url.hostname) ? url.hostname : undefined,
      headers: {
        host: url.host,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'certpush-webhooks/1',
        'certpush-event': event.event,
        'certpush-delivery': String(event.id),
        [SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
      },
      timeout: TIMEOUT_MS,
    }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode! >= 200 && response.statusCode! < 300 ? null : `HTTP ${response.statusCode}`));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
    request.on('error', (error) => resolve(error.message));
    request.end(body);
  });
}

/** Send due webhook events once; returns how many were attempted. */
export async function dispatchWebhooks(ctx: ServiceContext, limit = 50): Promise<number> {
  const events = await ctx.store.webhookEvents.claim(limit, 60_000);
  await Promise.all(events.map(async (event) => {
    const failure = await post(ctx, event);
    if (failure === null) return ctx.store.webhookEvents.finish(event.id, { state: 'delivered' });
    const wait = WEBHOOK_BACKOFF_MS[event.attempts];
    if (wait === undefined) return ctx.store.webhookEvents.finish(event.id, { state: 'failed', lastError: failure });
    return ctx.store.webhookEvents.finish(event.id, { state: 'pending', nextAttemptAt: Date.now() + wait, lastError: failure });
  }));
  return events.length;
}
