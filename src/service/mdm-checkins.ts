import crypto from 'node:crypto';
import { enrollmentIdOf, parseCheckinMessage, type CheckinMessage } from '../mdm/checkin-message.ts';
import { parseCheckinWebhook, type WebhookFormat } from '../mdm/checkin-webhook.ts';
import type { Device } from '../store/devices.ts';
import type { EnrollmentChange } from '../store/enrollments.ts';
import type { AuditRole } from '../store/roles/audit.ts';
import type { CredentialsRole } from '../store/roles/credentials.ts';
import type { DevicesRole } from '../store/roles/devices.ts';
import type { TenantsRole } from '../store/roles/tenants.ts';
import { type Actor, actorName, type ServiceContext } from './context.ts';
import { conflict, ServiceError, unprocessable } from './errors.ts';
import { mdmCertState } from './mdm-push-cert.ts';
import { requireTenant } from './tenants.ts';

/** Content types of a raw check-in plist (what the device sent, forwarded as is). */
export const RAW_CHECKIN_TYPES = ['application/x-apple-aspen-mdm-checkin', 'application/xml', 'text/xml'];

/** What certpush did with a check-in. */
export interface CheckinOutcome {
  /** How the check-in arrived. */
  format: WebhookFormat | 'plist';
  /** The check-in's MessageType, or the webhook topic for events without one. */
  messageType: string;
  eventId: string;
  enrollmentId: string | null;
  /** What changed; `ignored` for a replay and for check-ins that change nothing. */
  action: 'registered' | 'checked-out' | 'reenrolling' | 'ignored';
  /** True when this event id was applied before: nothing changed now. */
  replayed: boolean;
  device: Device | null;
}

const secretContext = (tenantId: string) => `tenant:${tenantId}:mdm-checkin-secret`;

/**
 * Apply one check-in: a nanomdm or MicroMDM webhook event (JSON) or a raw check-in plist.
 * TokenUpdate registers the enrollment (token from the plist data, PushMagic, topic checked
 * against the tenant's push certificate); CheckOut stops pushes to it; Authenticate of a known
 * device marks it re-enrolling. The same event id twice is applied once.
 */
export async function receiveCheckin(ctx: ServiceContext<TenantsRole & DevicesRole & CredentialsRole>, tenantId: string, body: Buffer, contentType: string): Promise<CheckinOutcome> {
  await requireTenant(ctx, tenantId);
  let format: CheckinOutcome['format'];
  let plistBytes: Buffer | null;
  let eventId: string | null = null;
  let topic: string;
  let envelopeEnrollment: string | null = null;
  if (contentType === 'application/json') {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new ServiceError('BODY_NOT_JSON', `The check-in event is not valid JSON (${(error as Error).message}).`);
    }
    const event = parseCheckinWebhook(json);
    format = event.format;
    plistBytes = event.rawPayload;
    eventId = event.eventId;
    topic = event.topic;
    envelopeEnrollment = event.enrollmentId;
  } else if (RAW_CHECKIN_TYPES.includes(contentType)) {
    format = 'plist';
    plistBytes = body;
    topic = '';
  } else {
    throw new ServiceError('CHECKIN_CONTENT_TYPE', `Content-Type ${contentType || '(none)'} is not a check-in: send a nanomdm or MicroMDM webhook event as application/json, or the device's check-in plist as application/x-apple-aspen-mdm-checkin (or application/xml).`);
  }
  // Without an event id (raw plists; nanomdm may omit it) the body itself names the event.
  const id = eventId ?? `sha256:${crypto.hash('sha256', body, 'hex')}`;

  const message = plistBytes ? parseCheckinMessage(plistBytes) : null;
  if (message && topic !== '' && topic !== `mdm.${message.messageType}`) {
    throw unprocessable('CHECKIN_TOPIC_MISMATCH', `The event's topic is ${topic} but its check-in plist is a ${message.messageType}. Send the event nanomdm or MicroMDM posted, unchanged.`);
  }
  const messageType = message?.messageType ?? topic;
  const enrollmentId = message ? envelopeEnrollment ?? enrollmentIdOf(message) : null;
  const change = message && enrollmentId ? await changeFor(ctx, tenantId, message, enrollmentId) : { kind: 'none' as const, enrollmentId: null };
  const apply = () => ctx.store.enrollments.apply(tenantId, { eventId: id, topic: messageType }, change, ctx.now().getTime());
  let applied;
  try {
    applied = await apply();
  } catch (error) {
    // Two check-ins for one new enrollment at once: the unique index let one insert through and
    // rolled the other back whole; applied again, it finds the row (or its event id) and updates.
    if (!/unique|duplicate/i.test((error as Error).message)) throw error;
    applied = await apply();
  }
  return {
    format, messageType, eventId: id, enrollmentId, replayed: applied.replayed, device: applied.device,
    action: applied.replayed ? 'ignored' : change.kind === 'token-update' ? 'registered' : change.kind === 'check-out' ? 'checked-out' : change.kind === 'authenticate' && applied.changed > 0 ? 'reenrolling' : 'ignored',
  };
}

async function changeFor(ctx: ServiceContext<CredentialsRole>, tenantId: string, message: CheckinMessage, enrollmentId: string): Promise<EnrollmentChange> {
  switch (message.messageType) {
    case 'TokenUpdate': {
      const record = await ctx.store.mdmCerts.get(tenantId);
      const state = mdmCertState(record, ctx.now());
      if ((state !== 'active' && state !== 'renewing') || !record?.topic) {
        throw conflict('MDM_NO_CERT', `This tenant has no active MDM push certificate (state: ${state}), so the TokenUpdate's topic ${message.topic} cannot be checked and nothing could be pushed. Import the push certificate first (PUT …/mdm/push-cert).`);
      }
      if (message.topic !== record.topic) {
        // Pushes would fail with DeviceTokenNotForTopic: refuse now, where the cause is visible.
        throw conflict('CHECKIN_WRONG_TOPIC', `The TokenUpdate's Topic ${message.topic} is not this tenant's push certificate topic ${record.topic}: pushes to this device would fail. Send this device's check-ins to the tenant whose certificate has topic ${message.topic}, or enroll it with a profile whose Topic is ${record.topic}.`);
      }
      return { kind: 'token-update', enrollmentId, token: message.token!, pushMagic: message.pushMagic!, topic: message.topic };
    }
    case 'CheckOut':
      return { kind: 'check-out', enrollmentId };
    case 'Authenticate':
      return { kind: 'authenticate', enrollmentId };
    default:
      return { kind: 'none', enrollmentId };
  }
}

/** Make a new check-in secret (the old one stops working) and return it: it is shown only now. */
export async function rotateCheckinSecret(ctx: ServiceContext<TenantsRole & DevicesRole & AuditRole>, actor: Actor, tenantId: string): Promise<{ secret: string }> {
  await requireTenant(ctx, tenantId);
  const secret = crypto.randomBytes(32).toString('base64url');
  await ctx.store.enrollments.setSecret(tenantId, ctx.secrets.seal(secret, secretContext(tenantId)), ctx.now().getTime());
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: 'mdm.checkin-secret.rotated', detail: {} });
  return { secret };
}

/**
 * True when `signature` is the Base64 HMAC-SHA256 of `body` under the tenant's check-in secret,
 * as nanomdm sends it in X-Hmac-Signature with -webhook-hmac-key. False for an unknown tenant or
 * one without a secret, so a caller without the secret learns nothing.
 */
export async function checkinSignatureValid(ctx: ServiceContext<DevicesRole>, tenantId: string, body: Buffer, signature: string): Promise<boolean> {
  const sealed = await ctx.store.enrollments.secret(tenantId);
  if (!sealed) return false;
  const secret = ctx.secrets.open(sealed, secretContext(tenantId));
  const expected = crypto.createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(signature.trim(), 'base64');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
