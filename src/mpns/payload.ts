import { CertpushError } from '../errors.ts';
import { MAX_PAYLOAD_BYTES } from './protocol.ts';
import { type RawNotification, rawBody } from './raw.ts';
import { type Tile, tileXml } from './tile.ts';
import { type Toast, toastXml } from './toast.ts';

/** Any MPNS notification: a toast, a tile update or raw bytes. */
export type MpnsNotification = Toast | Tile | RawNotification;

/**
 * The request body of a notification, checked against MPNS's 3 KB limit before anything is
 * sent (MPNS would answer 400 for a larger one). Throws MPNS_PAYLOAD_TOO_LARGE (naming the
 * size and the limit) or the payload's own validation errors.
 *
 * @example payloadBody({ type: 'toast', text1: 'Hello' }).length // 150
 */
export function payloadBody(notification: MpnsNotification): Buffer {
  let body: Buffer;
  switch (notification.type) {
    case 'toast': body = Buffer.from(toastXml(notification), 'utf8'); break;
    case 'tile': body = Buffer.from(tileXml(notification), 'utf8'); break;
    case 'raw': body = rawBody(notification); break;
    default:
      throw new CertpushError('MPNS_NOTIFICATION_TYPE', `Unknown notification type "${String((notification as { type: unknown }).type)}". Use "toast", "tile" or "raw".`);
  }
  if (body.length > MAX_PAYLOAD_BYTES) {
    throw new CertpushError('MPNS_PAYLOAD_TOO_LARGE', `The ${notification.type} payload is ${body.length} bytes; MPNS accepts at most ${MAX_PAYLOAD_BYTES} bytes (3 KB). Shorten the text${notification.type === 'raw' ? ' or send less data' : ''}.`);
  }
  return body;
}
