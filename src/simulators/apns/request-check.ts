import type { IncomingHttpHeaders } from 'node:http2';
import type { AppleReason } from './apple-reasons.ts';
import {
  APPLE_PRIORITIES, APPLE_PUSH_TYPES, APPLE_REQUEST_HEADERS, COLLAPSE_ID_LIMIT, isCanonicalUuid, isDeviceToken, isExpiration,
  PAYLOAD_LIMIT, VOIP_PAYLOAD_LIMIT,
} from './apple-request-rules.ts';

/** APNs: any `apns-*` (or authorization) header given twice is DuplicateHeaders. */
export function hasDuplicateHeaders(rawHeaders: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const at = (APPLE_REQUEST_HEADERS as readonly string[]).indexOf(rawHeaders[i]!);
    if (at < 0) continue;
    if (seen & (1 << at)) return true;
    seen |= 1 << at;
  }
  return false;
}

/**
 * Check the request headers and payload as APNs does (after authentication and topic), and
 * return the reason for the first problem, or undefined when the request is good.
 */
export function checkRequest(headers: IncomingHttpHeaders, token: string, body: Buffer): AppleReason | undefined {
  const pushType = headers['apns-push-type'] as string | undefined;
  if (pushType !== undefined && !APPLE_PUSH_TYPES.has(pushType)) return 'InvalidPushType';
  const priority = headers['apns-priority'] as string | undefined;
  if (priority !== undefined && !APPLE_PRIORITIES.has(priority)) return 'BadPriority';
  const expiration = headers['apns-expiration'] as string | undefined;
  if (expiration !== undefined && !isExpiration(expiration)) return 'BadExpirationDate';
  const id = headers['apns-id'] as string | undefined;
  if (id !== undefined && !isCanonicalUuid(id)) return 'BadMessageId';
  const collapseId = headers['apns-collapse-id'] as string | undefined;
  if (collapseId !== undefined && Buffer.byteLength(collapseId) > COLLAPSE_ID_LIMIT) return 'BadCollapseId';
  if (!isDeviceToken(token)) return 'BadDeviceToken';
  if (body.length === 0) return 'PayloadEmpty';
  if (body.length > (pushType === 'voip' ? VOIP_PAYLOAD_LIMIT : PAYLOAD_LIMIT)) return 'PayloadTooLarge';
  return undefined;
}
