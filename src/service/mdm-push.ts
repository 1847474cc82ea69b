import { deliveryApnsId } from '../apns/delivery-apns-id.ts';
import { CHECKED_OUT, REENROLLING } from '../store/enrollments.ts';
import type { DeliveryQueueRole } from '../store/roles/delivery-queue.ts';
import type { Actor, ServiceContext } from './context.ts';
import { unprocessable } from './errors.ts';
import { sendNotification } from './notifications.ts';
import { requireTenant } from './tenants.ts';

/** How long the push endpoint waits for APNs's answers before reporting the rest as pending. */
export const MDM_PUSH_WAIT_MS = 10_000;
/** Enrollment ids per push request (nanomdm takes a comma-separated list in the path). */
export const MAX_PUSH_IDS = 1000;
const POLL_MS = 25;

/** One enrollment's result, in nanomdm's words. */
export type PushResult = { push_result: string } | { push_error: string };

/** nanomdm's push API answer: 200 all pushed, 207 some failed, 500 all failed. */
export interface PushAnswer {
  httpStatus: 200 | 207 | 500;
  body: { status: Record<string, PushResult>; notification_id?: string };
}

/**
 * Push to enrollments by id, as nanomdm's `/v1/push/{ids}` does, but through the durable queue:
 * one notification with a delivery per enrollment, then wait (up to `waitMs`) for the outcomes.
 * An unknown, checked-out or re-enrolling id gets a push_error without being queued; a delivery
 * still pending at the deadline is reported as an error too (it stays queued and is retried).
 */
export async function pushEnrollments(ctx: ServiceContext, actor: Actor, tenantId: string, ids: string[], options: { waitMs?: number } = {}): Promise<PushAnswer> {
  await requireTenant(ctx, tenantId);
  const unique = [...new Set(ids)];
  if (unique.length === 0 || unique.length > MAX_PUSH_IDS || unique.some((id) => id === '' || id.length > 300)) {
    throw unprocessable('PUSH_IDS_INVALID', `Give 1 to ${MAX_PUSH_IDS} enrollment ids, comma-separated: /v1/tenants/{tid}/mdm/push/<UDID>[,<UDID>…].`);
  }
  const status: Record<string, PushResult> = {};
  const devices = await ctx.store.enrollments.byEnrollmentIds(tenantId, unique);
  const byEnrollment = new Map(devices.map((d) => [d.enrollmentId!, d]));
  const targets: Array<{ enrollmentId: string; deviceId: string }> = [];
  for (const id of unique) {
    const device = byEnrollment.get(id);
    if (!device) status[id] = { push_error: 'unknown enrollment: no TokenUpdate check-in registered it' };
    else if (device.invalidReason === CHECKED_OUT) status[id] = { push_error: 'enrollment checked out: it gets no pushes until a new TokenUpdate' };
    else if (device.invalidReason === REENROLLING) status[id] = { push_error: 'enrollment re-enrolling: waiting for its TokenUpdate' };
    else if (device.invalidAt !== null) status[id] = { push_error: `device token invalid (${device.invalidReason ?? 'unknown'}): waiting for a new TokenUpdate` };
    else targets.push({ enrollmentId: id, deviceId: device.id });
  }
  let notificationId: string | undefined;
  if (targets.length > 0) {
    const { notification } = await sendNotification(ctx, actor, tenantId, { mdm: true, devices: targets.map((t) => t.deviceId) }, null);
    notificationId = notification.id;
    const rows = await outcomes(ctx, tenantId, notification.id, notification.total, options.waitMs ?? MDM_PUSH_WAIT_MS);
    const byDevice = new Map(rows.map((r) => [r.deviceId, r]));
    for (const t of targets) {
      const row = byDevice.get(t.deviceId);
      if (!row) status[t.enrollmentId] = { push_error: 'the device was removed before the push was queued' };
      else if (row.state === 'delivered') status[t.enrollmentId] = { push_result: deliveryApnsId(notification.id, row.id) };
      else if (row.state === 'pending') status[t.enrollmentId] = { push_error: `no answer from APNs within ${Math.round((options.waitMs ?? MDM_PUSH_WAIT_MS) / 1000)} s${row.lastReason ? ` (last: ${row.lastReason})` : ''}; still queued in notification ${notification.id}` };
      else status[t.enrollmentId] = { push_error: `${row.state}: ${row.lastReason ?? row.lastClass ?? 'no reason given'}` };
    }
  }
  const failed = Object.values(status).filter((r) => 'push_error' in r).length;
  const httpStatus = failed === 0 ? 200 : failed === unique.length ? 500 : 207;
  return { httpStatus, body: { status, ...(notificationId ? { notification_id: notificationId } : {}) } };
}

/** The notification's rows once it completes, or as they are at the deadline. */
async function outcomes(ctx: ServiceContext<DeliveryQueueRole>, tenantId: string, notificationId: string, total: number, waitMs: number) {
  const deadline = Date.now() + waitMs;
  let n = await ctx.store.notifications.get(tenantId, notificationId);
  while (n && n.completedAt === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    n = await ctx.store.notifications.get(tenantId, notificationId);
  }
  // Results are read by the notification's sequence number (deliveries point at it, not the text id).
  return n ? ctx.store.notifications.results(n.seq, 0, Math.max(total, 1)) : [];
}
