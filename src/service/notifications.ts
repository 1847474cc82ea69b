import crypto from 'node:crypto';
import { prepareNotification } from '../apns/notification.ts';
import { PUSH_TYPES, PRIORITIES } from '../apns/request-rules.ts';
import { isCertpushError } from '../errors.ts';
import { payloadBody, type MpnsNotification } from '../mpns/payload.ts';
import { DELIVERY_INTERVALS, type DeliveryInterval } from '../mpns/protocol.ts';
import type { Platform } from '../store/devices.ts';
import type { MdmCertRecord } from '../store/mdm-certs.ts';
import type { Notification } from '../store/notifications.ts';
import { type Actor, actorName, type ServiceContext } from './context.ts';
import { checkCursor, DELIVERY_CURSOR } from './cursor.ts';
import { conflict, notFound, ServiceError, unprocessable } from './errors.ts';
import { mdmCertState } from './mdm-push-cert.ts';
import { requireTenantExists } from './tenants.ts';

/** At most this many explicit device ids in one notification; use `all` for more. */
export const MAX_EXPLICIT_DEVICES = 10_000;

/** What each platform's devices receive, as stored with the notification. */
export interface NotificationPayload {
  mdm?: true;
  apns?: { payload: Record<string, unknown>; pushType?: string; priority?: number; collapseId?: string };
  mpns?: MpnsNotification & { interval?: DeliveryInterval };
}

export interface SendRequest extends NotificationPayload {
  devices?: string[];
  /** MDM enrollment ids, resolved to their devices (an alternative to `devices`). */
  enrollmentIds?: string[];
  all?: boolean;
  /** ISO time or UNIX seconds; past it, undelivered rows end as `expired`. */
  expiration?: string | number;
}

/**
 * Queue a notification: validate every payload now (so the request, not a worker, reports a
 * bad one), then fan out into delivery rows. With an Idempotency-Key, a retried request
 * returns the first notification instead of sending twice; the same key with a different
 * body is refused.
 */
export async function sendNotification(ctx: ServiceContext, actor: Actor, tenantId: string, request: SendRequest, idempotencyKey: string | null): Promise<{ notification: Notification; replayed: boolean }> {
  // The reads this request needs do not depend on each other: on PostgreSQL they run at once, on
  // separate pooled connections, so a send waits for one round trip instead of four. They are
  // still looked at in the order the checks are made, so the answer is the same as one by one.
  const explicit = request.enrollmentIds === undefined && Array.isArray(request.devices) ? [...new Set(request.devices.map(String))] : null;
  const reads = {
    tenant: settled(requireTenantExists(ctx, tenantId)),
    existing: idempotencyKey ? settled(ctx.store.notifications.byIdempotencyKey(tenantId, idempotencyKey)) : null,
    mdmCert: request.mdm === true ? settled(ctx.store.mdmCerts.get(tenantId)) : null,
    found: explicit && explicit.length > 0 && explicit.length <= MAX_EXPLICIT_DEVICES ? settled(ctx.store.devices.existing(tenantId, explicit)) : null,
  };
  await reads.tenant.value();
  const requestHash = crypto.createHash('sha256').update(JSON.stringify(request)).digest('hex');
  if (idempotencyKey) {
    const existing = await reads.existing!.value();
    if (existing) {
      if (existing.requestHash !== requestHash) throw conflict('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${idempotencyKey}" was already used for a different request. Use a new key for a new notification.`);
      return { notification: existing, replayed: true };
    }
  }
  if (request.enrollmentIds !== undefined) request = await byEnrollment(ctx, tenantId, request);
  const hasDevices = Array.isArray(request.devices);
  if (hasDevices === (request.all === true)) throw unprocessable('NOTIFICATION_TARGET', 'Say whom to send to: either "devices": [ids] or "all": true (not both).');
  if (hasDevices && (request.devices!.length === 0 || request.devices!.length > MAX_EXPLICIT_DEVICES)) {
    throw unprocessable('NOTIFICATION_TARGET', `"devices" must list 1 to ${MAX_EXPLICIT_DEVICES} device ids; for more, use "all": true.`);
  }
  const payload = await validatePayload(ctx, tenantId, request, reads.mdmCert);
  const platforms = (['mdm', 'apns', 'mpns'] as const).filter((p) => payload[p] !== undefined);
  let devices: string[] | 'all' = 'all';
  if (hasDevices) {
    const ids = explicit ?? [...new Set(request.devices!.map(String))];
    const found = reads.found ? await reads.found.value() : await ctx.store.devices.existing(tenantId, ids);
    // A Set, not found.some() per id: 10,000 ids against 10,000 rows was 10^8 comparisons (~1 s).
    const foundIds = new Set(found.map((d) => d.id));
    const missing = ids.filter((id) => !foundIds.has(id));
    if (missing.length > 0) throw unprocessable('NOTIFICATION_UNKNOWN_DEVICES', `${missing.length} device id(s) are not devices of this tenant, e.g. ${missing[0]}. Register them first, or remove them.`);
    const uncovered = found.filter((d) => !platforms.includes(d.platform as Platform));
    if (uncovered.length > 0) throw unprocessable('NOTIFICATION_NO_PAYLOAD_FOR_DEVICE', `Device ${uncovered[0]!.id} is a ${uncovered[0]!.platform} device but the notification has no "${uncovered[0]!.platform}" payload.`);
    devices = ids;
  }
  const expiresAt = parseExpiration(request.expiration, ctx.now());
  try {
    // One transaction: the notification, its rows, the audit entry and (PostgreSQL) the
    // workers' wake-up; elsewhere the wake-up follows the commit. A lost signal only costs the
    // poll interval, so it never fails the request.
    const notification = await ctx.store.notifications.create({ tenantId, idempotencyKey, requestHash, payload: JSON.stringify(payload), expiresAt, platforms, devices }, ctx.now().getTime(), {
      audit: { actor: actorName(actor), action: 'notification.sent', detail: { platforms } },
      queue: ctx.store.queue,
    });
    return { notification, replayed: false };
  } catch (error) {
    // Two requests with the same key racing: the unique index let one through; return it.
    if (idempotencyKey && /unique|duplicate/i.test((error as Error).message)) {
      const existing = await ctx.store.notifications.byIdempotencyKey(tenantId, idempotencyKey);
      if (existing && existing.requestHash === requestHash) return { notification: existing, replayed: true };
    }
    throw error;
  }
}

/**
 * A read started now and awaited later, perhaps never (an earlier check failed): its rejection
 * is held until asked for, never an unhandled rejection.
 */
function settled<T>(promise: Promise<T>): { value(): Promise<T> } {
  const outcome = promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
  return {
    async value() {
      const o = await outcome;
      if (!o.ok) throw o.error;
      return o.value;
    },
  };
}

/** `enrollmentIds` → `devices`: every id must be an enrollment of this tenant. */
async function byEnrollment(ctx: ServiceContext, tenantId: string, request: SendRequest): Promise<SendRequest> {
  const { enrollmentIds, ...rest } = request;
  if (rest.devices !== undefined || rest.all !== undefined) throw unprocessable('NOTIFICATION_TARGET', 'Give one of "devices", "enrollmentIds" or "all".');
  const ids = [...new Set(enrollmentIds!.map(String))];
  if (ids.length === 0 || ids.length > MAX_EXPLICIT_DEVICES) throw unprocessable('NOTIFICATION_TARGET', `"enrollmentIds" must list 1 to ${MAX_EXPLICIT_DEVICES} ids.`);
  const found = await ctx.store.enrollments.byEnrollmentIds(tenantId, ids);
  const missing = ids.filter((id) => !found.some((d) => d.enrollmentId === id));
  if (missing.length > 0) throw unprocessable('NOTIFICATION_UNKNOWN_ENROLLMENTS', `${missing.length} enrollment id(s) are not enrollments of this tenant, e.g. ${missing[0]}. They are registered by a TokenUpdate check-in (POST …/mdm/checkin-events).`);
  return { ...rest, devices: found.map((d) => d.id) };
}

async function validatePayload(ctx: ServiceContext, tenantId: string, request: SendRequest, mdmCert: { value(): Promise<MdmCertRecord | undefined> } | null): Promise<NotificationPayload> {
  const payload: NotificationPayload = {};
  if (request.mdm !== undefined) {
    if (request.mdm !== true) throw unprocessable('NOTIFICATION_MDM', '"mdm" must be true: an MDM push carries no content, only the device\'s PushMagic.');
    const state = mdmCertState(await (mdmCert ? mdmCert.value() : ctx.store.mdmCerts.get(tenantId)), ctx.now());
    if (state !== 'active' && state !== 'renewing') {
      throw conflict('MDM_NO_CERT', `This tenant has no active MDM push certificate (state: ${state}). Import one first (PUT …/mdm/push-cert).`);
    }
    payload.mdm = true;
  }
  if (request.apns !== undefined) {
    const apns = request.apns;
    if (!apns || typeof apns.payload !== 'object' || apns.payload === null || Array.isArray(apns.payload)) throw unprocessable('NOTIFICATION_APNS', '"apns.payload" must be a JSON object such as {"aps":{"alert":"Hello"}}.');
    if (apns.pushType !== undefined && !(PUSH_TYPES as readonly string[]).includes(apns.pushType)) throw unprocessable('NOTIFICATION_APNS', `"apns.pushType" must be one of ${PUSH_TYPES.join(', ')}.`);
    if (apns.priority !== undefined && !(PRIORITIES as readonly number[]).includes(apns.priority)) throw unprocessable('NOTIFICATION_APNS', '"apns.priority" must be 10, 5 or 1.');
    // The client's own checks (size, collapse id) with a placeholder token and topic.
    const prepared = prepareNotification({ token: '0'.repeat(64), payload: apns.payload, pushType: apns.pushType as never, priority: apns.priority as never, collapseId: apns.collapseId }, 'topic.placeholder');
    if ('class' in prepared) throw unprocessable('NOTIFICATION_APNS', `The APNs notification would be refused: ${prepared.reason}${'detail' in prepared && prepared.detail ? ` (${String(prepared.detail)})` : ''}.`);
    // Only MDM pushes have a credential in certpush today (the tenant's push certificate); an app
    // push would find none at delivery and pause the tenant, so refuse it here instead.
    throw conflict('APNS_NO_APP_CREDENTIAL', 'This tenant has no APNs credential for app pushes: certpush sends MDM pushes (with the MDM push certificate) and MPNS notifications. Send "mdm": true to wake MDM devices.');
  }
  if (request.mpns !== undefined) {
    const mpns = request.mpns;
    if (!mpns || typeof mpns !== 'object') throw unprocessable('NOTIFICATION_MPNS', '"mpns" must be an object: {"type":"toast","text1":…}, {"type":"tile",…} or {"type":"raw","data":…}.');
    if (mpns.interval !== undefined && !DELIVERY_INTERVALS.includes(mpns.interval)) throw unprocessable('NOTIFICATION_MPNS', '"mpns.interval" must be "immediate", 450 or 900.');
    try {
      payloadBody(mpns);
    } catch (error) {
      if (isCertpushError(error)) throw new ServiceError(error.code, error.message);
      throw error;
    }
    payload.mpns = mpns;
  }
  if (Object.keys(payload).length === 0) throw unprocessable('NOTIFICATION_EMPTY', 'Give at least one payload: "mdm": true, "apns": {…} or "mpns": {…}.');
  return payload;
}

function parseExpiration(value: string | number | undefined, now: Date): number | null {
  if (value === undefined) return null;
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(value);
  if (!Number.isFinite(ms)) throw unprocessable('NOTIFICATION_EXPIRATION', '"expiration" must be an ISO 8601 time or UNIX seconds.');
  if (ms <= now.getTime()) throw unprocessable('NOTIFICATION_EXPIRATION', '"expiration" is in the past: nothing could be delivered.');
  return ms;
}

export interface NotificationReport {
  id: string;
  createdAt: string;
  completedAt: string | null;
  expiresAt: string | null;
  total: number;
  /** Deliveries by outcome; `pending` includes `retrying`. Retention keeps these after the detail goes. */
  counts: Record<'pending' | 'retrying' | 'delivered' | 'invalid' | 'rejected' | 'expired' | 'failed', number>;
  /**
   * When the per-device detail (results, timeline) was deleted by retention; null while it is
   * kept. Counts and total stay exact either way.
   */
  detailExpiredAt: string | null;
  /** Deliveries accepted by the push service, per second since the notification was created. */
  timeline: Array<{ second: number; delivered: number }>;
  results: Array<{ deviceId: string; platform: string | null; token: string | null; state: string; attempts: number; class: string | null; status: number | null; reason: string | null; updatedAt: string; nextAttemptAt: string | null }>;
  nextCursor: string | null;
}

export async function notificationReport(ctx: ServiceContext, tenantId: string, id: string, page: { after?: string; limit: number }): Promise<NotificationReport> {
  const n = await ctx.store.notifications.get(tenantId, id);
  if (!n) throw notFound(`Notification ${id}`);
  // Rows retention folded away are on the notification; the rows still kept are counted here.
  const counts: NotificationReport['counts'] = {
    pending: 0, retrying: 0, delivered: n.foldedDelivered, invalid: n.foldedInvalid, rejected: n.foldedRejected, expired: n.foldedExpired, failed: n.foldedFailed,
  };
  for (const row of await ctx.store.notifications.counts(n.seq)) {
    counts[row.state as keyof typeof counts] += row.n;
    if (row.state === 'pending' && row.lastClass !== null) counts.retrying += row.n;
  }
  const after = page.after !== undefined ? Number(checkCursor(page.after, DELIVERY_CURSOR)) : 0;
  const rows = await ctx.store.notifications.results(n.seq, Number.isFinite(after) ? after : 0, page.limit + 1);
  const more = rows.length > page.limit;
  const visible = more ? rows.slice(0, page.limit) : rows;
  const start = Math.floor(n.createdAt / 1000);
  return {
    id: n.id,
    createdAt: new Date(n.createdAt).toISOString(),
    completedAt: n.completedAt ? new Date(n.completedAt).toISOString() : null,
    expiresAt: n.expiresAt ? new Date(n.expiresAt).toISOString() : null,
    total: n.total,
    counts,
    detailExpiredAt: n.detailExpiredAt ? new Date(n.detailExpiredAt).toISOString() : null,
    timeline: (await ctx.store.notifications.timeline(n.seq)).map((t) => ({ second: t.second - start, delivered: t.n })),
    results: visible.map((r) => ({
      deviceId: r.deviceId, platform: r.platform, token: r.token, state: r.state, attempts: r.attempts,
      class: r.lastClass, status: r.lastStatus, reason: r.lastReason, updatedAt: new Date(r.updatedAt).toISOString(),
      nextAttemptAt: r.state === 'pending' ? new Date(r.nextAttemptAt).toISOString() : null,
    })),
    nextCursor: more ? String(visible.at(-1)!.id) : null,
  };
}
