import { nextApnsId } from './apns-id.ts';
import { type Failed, localRejection } from './outcome.ts';
import {
  APNS_ID_PATTERN, DEVICE_TOKEN_PATTERN, MAX_COLLAPSE_ID_BYTES, maxPayloadBytes,
  type Priority, PRIORITIES, type PushType, PUSH_TYPES, TOPIC_PATTERN,
} from './request-rules.ts';

/**
 * One notification for one device.
 *
 * @example
 * { token: 'a1b2…', payload: { aps: { alert: 'Hello' } }, pushType: 'alert' }
 * { token, payload: { mdm: pushMagic }, pushType: 'mdm', topic: 'com.apple.mgmt.External.…' }
 */
export interface Notification {
  /** Device token, hexadecimal. */
  token: string;
  /** JSON payload: an object (serialized here), or JSON text / bytes as they are. */
  payload: object | string | Uint8Array;
  /** `apns-push-type`. Default `alert`. */
  pushType?: PushType;
  /** `apns-topic`. Default: the client's topic (for certificates, the certificate's UID). */
  topic?: string;
  /** `apns-priority`: 10, 5 or 1. Omitted: APNs uses 10. */
  priority?: Priority;
  /** `apns-expiration`: a Date, or UNIX seconds; 0 = try once only. Omitted: APNs stores it for a while. */
  expiration?: Date | number;
  /** `apns-collapse-id`, at most 64 bytes. */
  collapseId?: string;
  /** `apns-id` (UUID). Default: a new UUID (see nextApnsId), so every outcome can be traced. */
  id?: string;
}

/**
 * A checked notification: the values of its request headers and its body; `apnsId` is always
 * set. Plain fields rather than a header map, so that a million sends do not build a million
 * header objects: the session writes these straight into the HPACK block, in this order:
 * `:path` (/3/device/<token>), `apns-id`, `apns-topic`, `apns-push-type`, then the optional ones.
 */
export interface PreparedRequest {
  apnsId: string;
  token: string;
  topic: string;
  pushType: PushType;
  /** `apns-priority` as sent, when set. */
  priority: string | undefined;
  /** `apns-expiration` (UNIX seconds) as sent, when set. */
  expiration: string | undefined;
  /** `apns-collapse-id`, when set. */
  collapseId: string | undefined;
  body: Buffer;
}

/**
 * Check a notification as APNs would and turn it into a request; a problem comes back as a
 * `Failed` outcome with Apple's reason (status 0: never sent).
 *
 * @example
 * const prepared = prepareNotification({ token, payload: { mdm: magic }, pushType: 'mdm' }, defaultTopic);
 * if ('class' in prepared) console.log(prepared.reason);
 */
export function prepareNotification(notification: Notification, defaultTopic: string | undefined): PreparedRequest | Failed {
  const apnsId = notification.id ?? nextApnsId();
  if (notification.id !== undefined && !APNS_ID_PATTERN.test(notification.id)) {
    return localRejection('BadMessageId', `apns-id "${notification.id}" is not a UUID (8-4-4-4-12 hexadecimal digits).`);
  }
  const token = notification.token;
  if (typeof token !== 'string' || token.length === 0) return localRejection('MissingDeviceToken', 'The notification has no device token.', apnsId);
  if (!DEVICE_TOKEN_PATTERN.test(token)) {
    return localRejection('BadDeviceToken', `Device token "${token.length > 80 ? `${token.slice(0, 80)}…` : token}" is not hexadecimal of 64 or more digits.`, apnsId);
  }
  const topic = notification.topic ?? defaultTopic;
  if (topic === undefined || topic === '') {
    return localRejection('MissingTopic', 'No apns-topic: give the notification a topic (the app\'s bundle ID) or the client a default topic.', apnsId);
  }
  if (!TOPIC_PATTERN.test(topic)) return localRejection('BadTopic', `Topic "${topic}" has spaces or characters APNs does not allow.`, apnsId);
  const pushType: PushType = notification.pushType ?? 'alert';
  if (!(PUSH_TYPES as readonly string[]).includes(pushType)) {
    return localRejection('InvalidPushType', `Push type "${pushType}" is not one of ${PUSH_TYPES.join(', ')}.`, apnsId);
  }
  let priority: string | undefined;
  if (notification.priority !== undefined) {
    if (!(PRIORITIES as readonly number[]).includes(notification.priority)) {
      return localRejection('BadPriority', `Priority ${notification.priority} is not 10, 5 or 1.`, apnsId);
    }
    priority = String(notification.priority);
  }
  let expiration: string | undefined;
  if (notification.expiration !== undefined) {
    const seconds = notification.expiration instanceof Date ? Math.floor(notification.expiration.getTime() / 1000) : notification.expiration;
    if (!Number.isSafeInteger(seconds) || seconds < 0) {
      return localRejection('BadExpirationDate', `Expiration ${String(notification.expiration)} is not a date or a whole number of UNIX seconds ≥ 0.`, apnsId);
    }
    expiration = String(seconds);
  }
  const collapseId = notification.collapseId;
  if (collapseId !== undefined && (Buffer.byteLength(collapseId) > MAX_COLLAPSE_ID_BYTES || /[\0\r\n]/.test(collapseId))) {
    return localRejection('BadCollapseId', `Collapse ID "${collapseId}" is longer than ${MAX_COLLAPSE_ID_BYTES} bytes or has line breaks.`, apnsId);
  }
  const payload = notification.payload;
  const body = typeof payload === 'string' ? Buffer.from(payload)
    : payload instanceof Uint8Array ? Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
      : Buffer.from(JSON.stringify(payload));
  if (body.length === 0) return localRejection('PayloadEmpty', 'The payload is empty; APNs needs a JSON dictionary.', apnsId);
  const limit = maxPayloadBytes(pushType);
  if (body.length > limit) {
    return localRejection('PayloadTooLarge', `The payload is ${body.length} bytes; APNs takes at most ${limit} for push type ${pushType}.`, apnsId);
  }
  return { apnsId, token, topic, pushType, priority, expiration, collapseId, body };
}

/** MDM pushes go at priority 10: Apple's MDM protocol asks for immediate delivery (the device then checks in). */
export const MDM_PRIORITY = 10;
/**
 * How long APNs keeps an MDM push for a device that is offline, when the sender says nothing:
 * 7 days, so a device that was switched off for a week still checks in when it comes back
 * (APNs keeps only the newest push per device and topic, so nothing piles up).
 */
export const MDM_DEFAULT_EXPIRATION_SECONDS = 7 * 24 * 60 * 60;

/**
 * The MDM push: payload `{"mdm": pushMagic}`, push type `mdm`, to the MDM topic (the push
 * certificate's UID), priority 10, expiring MDM_DEFAULT_EXPIRATION_SECONDS from `now` unless
 * `expiration` says otherwise. APNs: MDM pushes are certificate-authenticated only.
 *
 * @example client.send(mdmNotification(device.token, device.pushMagic))
 */
export function mdmNotification(token: string, pushMagic: string, topic?: string, options: { expiration?: Date | number; id?: string; now?: Date } = {}): Notification {
  const expiration = options.expiration ?? Math.floor((options.now ?? new Date()).getTime() / 1000) + MDM_DEFAULT_EXPIRATION_SECONDS;
  return { token, payload: { mdm: pushMagic }, pushType: 'mdm', priority: MDM_PRIORITY, expiration, ...(topic ? { topic } : {}), ...(options.id ? { id: options.id } : {}) };
}
