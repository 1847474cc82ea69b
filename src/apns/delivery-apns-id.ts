import crypto from 'node:crypto';

/**
 * The `apns-id` of a queued delivery, derived from the notification and the delivery row: the
 * worker sends it and APNs echoes it, so whoever reads the row later (the nanomdm-compatible push
 * endpoint answers `push_result` with it) knows the id without storing it. A version-8 UUID
 * (RFC 9562: custom) of SHA-256; retries of the row reuse it, as APNs allows.
 *
 * @example deliveryApnsId('ntf_x', 42) // '1f0c…-…-8…-…'
 */
export function deliveryApnsId(notificationId: string, deliveryId: number): string {
  const hex = crypto.hash('sha256', `certpush delivery ${notificationId} ${deliveryId}`, 'hex');
  const variant = (8 + (parseInt(hex[16]!, 16) & 3)).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
