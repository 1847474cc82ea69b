import type { IncomingHttpHeaders } from 'node:http2';
import type { ApnsReason } from '../../apns/reasons.ts';
import {
  APNS_HEADERS, APNS_ID_PATTERN, DEVICE_TOKEN_PATTERN, MAX_COLLAPSE_ID_BYTES, maxPayloadBytes, PRIORITIES, PUSH_TYPES,
} from '../../apns/request-rules.ts';

/** APNs: any `apns-*` (or authorization) header given twice is DuplicateHeaders. */
export function hasDuplicateHeaders(rawHeaders: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const at = (APNS_HEADERS as readonly string[]).indexOf(rawHeaders[i]!);
    if (at < 0) continue;
    if (seen & (1 << at)) return true;
    seen |= 1 << at;
  }
  return false;
}

const PRIORITY_VALUES = PRIORITIES.map(String);

/**
 * Check the request headers and payload as APNs does (after authentication and topic), and
 * return the reason for the first problem, or undefined when the request is good.
 */
export function checkRequest(headers: IncomingHttpHeaders, token: string, body: Buffer): ApnsReason | undefined {
  const pushType = headers['apns-push-type'] as string | undefined;
  if (pushType !== undefined && !(PUSH_TYPES as readonly string[]).includes(pushType)) return 'InvalidPushType';
  const priority = headers['apns-priority'] as string | undefined;
  if (priority !== undefined && !PRIORITY_VALUES.includes(priority)) return 'BadPriority';
  const expiration = headers['apns-expiration'] as string | undefined;
  if (expiration !== undefined && !/^\d{1,15}$/.test(expiration)) return 'BadExpirationDate';
  const id = headers['apns-id'] as string | undefined;
  if (id !== undefined && !APNS_ID_PATTERN.test(id)) return 'BadMessageId';
  const collapseId = headers['apns-collapse-id'] as string | undefined;
  if (collapseId !== undefined && Buffer.byteLength(collapseId) > MAX_COLLAPSE_ID_BYTES) return 'BadCollapseId';
  if (!DEVICE_TOKEN_PATTERN.test(token)) return 'BadDeviceToken';
  if (body.length === 0) return 'PayloadEmpty';
  if (body.length > maxPayloadBytes(pushType)) return 'PayloadTooLarge';
  return undefined;
}
