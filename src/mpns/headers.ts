import { CertpushError } from '../errors.ts';
import { type DeliveryInterval, MPNS_HEADERS, NOTIFICATION_CLASSES, type NotificationKind, WINDOWS_PHONE_TARGETS } from './protocol.ts';

/**
 * The `X-NotificationClass` for a kind and delivery interval: tile 1/11/21, toast 2/12/22,
 * raw 3/13/23 for immediate / 450 s / 900 s.
 */
export function notificationClass(kind: NotificationKind, interval: DeliveryInterval = 'immediate'): number {
  const value = NOTIFICATION_CLASSES[kind]?.[String(interval)];
  if (value === undefined) {
    throw new CertpushError('MPNS_DELIVERY_INTERVAL', `Unknown delivery interval "${String(interval)}". Use "immediate", 450 or 900 (seconds).`);
  }
  return value;
}

/** Read a delivery interval as written on a command line: `immediate`, `450` or `900`. */
export function parseDeliveryInterval(text: string): DeliveryInterval {
  if (text === 'immediate') return 'immediate';
  if (text === '450') return 450;
  if (text === '900') return 900;
  throw new CertpushError('MPNS_DELIVERY_INTERVAL', `Unknown delivery interval "${text}". Use immediate, 450 or 900 (seconds).`);
}

/**
 * The request headers of one notification: `Content-Type: text/xml`, `Content-Length`,
 * `X-MessageID` (a UUID, echoed in logs to match request and outcome),
 * `X-NotificationClass`, and `X-WindowsPhone-Target` (`toast` or `token`; none for raw).
 * MPNS expects `text/xml` for raw notifications too.
 */
export function notificationHeaders(kind: NotificationKind, options: { interval?: DeliveryInterval; messageId: string; contentLength: number }): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'text/xml',
    'content-length': String(options.contentLength),
    [MPNS_HEADERS.messageId]: options.messageId,
    [MPNS_HEADERS.notificationClass]: String(notificationClass(kind, options.interval)),
  };
  const target = WINDOWS_PHONE_TARGETS[kind];
  if (target) headers[MPNS_HEADERS.target] = target;
  return headers;
}
