import { DEVICE_CONNECTION_STATUS, NOTIFICATION_STATUS } from './protocol.ts';

/**
 * The outcome classes shared with APNs (DESIGN.md, "Delivery outcomes"): `delivered` (MPNS
 * accepted it), `retry` (transient; wait `retryAfterMs`), `invalid` (the subscription is gone:
 * delete it), `rejected` (the notification itself is wrong), `credential` (the certificate or
 * trust set-up is wrong: pause sending, burn nothing), `expired` (its deadline passed first).
 */
export type OutcomeClass = 'delivered' | 'retry' | 'invalid' | 'rejected' | 'credential' | 'expired';

/** Why, as a stable word callers can branch on. */
export type MpnsReason =
  | 'Received' | 'Suppressed' | 'QueueFull' | 'SubscriptionExpired' | 'ThrottleLimit' | 'DeviceInactive'
  | 'ServiceUnavailable' | 'ServerError' | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'MethodNotAllowed'
  | 'UnexpectedStatus' | 'QuotaExhausted' | 'Timeout' | 'ConnectionFailed' | 'ClientCertificateRejected'
  | 'ServerNotTrusted' | 'NoClientCertificate' | 'CertificateExpired' | 'CertificateNotYetValid' | 'ChannelUriRefused' | 'InvalidPayload' | 'Expired';

/** What one send came to. A value, never an exception: every attempt ends in exactly one. */
export interface MpnsResult {
  outcome: OutcomeClass;
  reason: MpnsReason;
  /** What happened and what to do about it. */
  message: string;
  /**
   * True for `200 Suppressed`: MPNS accepted the notification and dropped it because the
   * channel suppresses this class. Delivered as far as the sender is concerned: never retry.
   */
  suppressed: boolean;
  /** For `retry`: wait at least this long before the next attempt. */
  retryAfterMs?: number;
  /** MPNS's HTTP status; absent when no response came (refused locally, connection failed). */
  status?: number;
  notificationStatus?: string;
  subscriptionStatus?: string;
  deviceConnectionStatus?: string;
  /** The `X-MessageID` sent (also on local refusals, to tie logs together). */
  messageId: string;
  /** Unauthenticated channels: this subscription's count today, the limit, and when it resets. */
  quota?: { used: number; limit: number; resetsAt: string };
  /** For `rejected` by a local check: the CertpushError code (e.g. MPNS_PAYLOAD_TOO_LARGE). */
  code?: string;
}

/** MPNS's response headers that carry the outcome (absent ones undefined). */
export interface MpnsResponseStatus {
  notificationStatus?: string;
  subscriptionStatus?: string;
  deviceConnectionStatus?: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** MPNS, 406: "re-send every one hour" at most. */
export const THROTTLE_RETRY_MS = HOUR;
/**
 * MPNS, 412: re-attempt "one time per hour at maximum" or be blocked; one minute more than an
 * hour keeps clock skew from ever making it two in one hour.
 */
export const DEVICE_INACTIVE_RETRY_MS = HOUR + MINUTE;
/** Cap of the minute-increment exponential backoff. */
export const MAX_BACKOFF_MS = HOUR;

/**
 * MPNS, QueueFull and 503: "use an exponential backoff algorithm in minute increments":
 * 1, 2, 4, … minutes for attempts 1, 2, 3, …, at most an hour.
 */
export function minuteBackoffMs(attempt: number): number {
  const exponent = Math.max(0, Math.min(Math.floor(attempt) - 1, 6));
  return Math.min(MINUTE * 2 ** exponent, MAX_BACKOFF_MS);
}

/**
 * Classify MPNS's answer (status code plus `X-NotificationStatus` / `X-SubscriptionStatus`
 * / `X-DeviceConnectionStatus`) following "Push Notification Service response codes for
 * Windows Phone 8". `attempt` (1 for the first send) sets the backoff.
 */
export function outcomeFromResponse(status: number, headers: MpnsResponseStatus, context: { messageId: string; attempt?: number }): MpnsResult {
  const base = { status, ...definedOnly(headers), messageId: context.messageId, suppressed: false };
  const backoff = minuteBackoffMs(context.attempt ?? 1);
  const disconnected = headers.deviceConnectionStatus === DEVICE_CONNECTION_STATUS.tempDisconnected;
  if (status === 200) {
    if (headers.notificationStatus === NOTIFICATION_STATUS.queueFull) {
      return { ...base, outcome: 'retry', reason: 'QueueFull', retryAfterMs: backoff, message: `MPNS's queue for this device is full (200 QueueFull). Send it again in ${backoff / MINUTE} minute(s), backing off in minute increments.` };
    }
    if (headers.notificationStatus === NOTIFICATION_STATUS.suppressed) {
      return { ...base, outcome: 'delivered', reason: 'Suppressed', suppressed: true, message: 'MPNS accepted the notification and dropped it (200 Suppressed): the app\'s channel suppresses this notification class (e.g. toasts not bound to the shell). Do not retry.' };
    }
    return { ...base, outcome: 'delivered', reason: 'Received', message: disconnected ? 'MPNS accepted the notification (200 Received); the device is temporarily disconnected and gets it when it reconnects.' : 'MPNS accepted the notification (200 Received).' };
  }
  switch (status) {
    case 404:
      return { ...base, outcome: 'invalid', reason: 'SubscriptionExpired', message: `The subscription is gone (404${headers.subscriptionStatus ? ` ${headers.subscriptionStatus}` : ''}). Delete this channel URI and stop sending to it; the app registers a new one when it next runs.` };
    case 406:
      return { ...base, outcome: 'retry', reason: 'ThrottleLimit', retryAfterMs: THROTTLE_RETRY_MS, message: 'MPNS reached the daily limit of this unauthenticated subscription (406 Not Acceptable). Retry at most once an hour (normal flow may take up to 24 hours), or send authenticated over HTTPS with a client certificate, which has no limit.' };
    case 412:
      return { ...base, outcome: 'retry', reason: 'DeviceInactive', retryAfterMs: DEVICE_INACTIVE_RETRY_MS, message: 'The device is inactive (412 Precondition Failed). Retry at most once an hour: more often gets the web service blocked by MPNS.' };
    case 503:
      return { ...base, outcome: 'retry', reason: 'ServiceUnavailable', retryAfterMs: backoff, message: `MPNS cannot process the request now (503 Service Unavailable). Send it again in ${backoff / MINUTE} minute(s), backing off in minute increments.` };
    case 400:
      return { ...base, outcome: 'rejected', reason: 'BadRequest', message: 'MPNS rejected the request as malformed (400 Bad Request): the XML payload, a header or the channel URI is wrong. Do not retry it unchanged.' };
    case 401:
      return { ...base, outcome: 'credential', reason: 'Unauthorized', message: 'MPNS refused the notification as unauthorized (401): the channel belongs to an authenticated web service (the app opened it with a Service Name) and the notification did not come over HTTPS with that service\'s certificate. Send to the https:// channel URI with the client certificate whose CN is the Service Name.' };
    case 403:
      return { ...base, outcome: 'credential', reason: 'Forbidden', message: 'MPNS refused the client certificate (403 Forbidden): it is not the one registered on Dev Center for this app, has expired, or its CN differs from the app\'s Service Name. Check it with "certpush mpns check-cert".' };
    case 405:
      return { ...base, outcome: 'rejected', reason: 'MethodNotAllowed', message: 'MPNS accepts only POST (405 Method Not Allowed). This is a bug in the sender; report it.' };
    default:
      if (status >= 500) {
        return { ...base, outcome: 'retry', reason: 'ServerError', retryAfterMs: backoff, message: `MPNS answered ${status}. Send it again in ${backoff / MINUTE} minute(s).` };
      }
      return { ...base, outcome: 'rejected', reason: 'UnexpectedStatus', message: `MPNS answered ${status}, which is not one of its documented responses. Check the channel URI points at MPNS.` };
  }
}

// TLS alerts a server sends when it does not accept our client certificate.
const CLIENT_CERT_ALERT = /ALERT_(?:CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|HANDSHAKE_FAILURE)/;
// Node's codes for a server certificate that does not verify against the trusted CAs.
const SERVER_NOT_TRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Classify a request that got no response: timeout, connection failure, or a TLS problem. */
export function outcomeFromError(error: Error & { code?: string }, context: { messageId: string; attempt?: number; timedOut?: boolean }): MpnsResult {
  const base = { messageId: context.messageId, suppressed: false };
  const backoff = minuteBackoffMs(context.attempt ?? 1);
  const code = error.code ?? '';
  if (context.timedOut) {
    return { ...base, outcome: 'retry', reason: 'Timeout', retryAfterMs: backoff, message: `MPNS did not answer in time (${error.message}). It may or may not have the notification; send it again in ${backoff / MINUTE} minute(s).` };
  }
  if (CLIENT_CERT_ALERT.test(code) || CLIENT_CERT_ALERT.test(error.message)) {
    return { ...base, outcome: 'credential', reason: 'ClientCertificateRejected', message: `The push service refused the TLS client certificate (${code || error.message}). Use a certificate that chains to an allowed Windows Phone root, has clientAuth and is registered on Dev Center; check it with "certpush mpns check-cert".` };
  }
  if (SERVER_NOT_TRUSTED.has(code)) {
    return { ...base, outcome: 'credential', reason: 'ServerNotTrusted', message: `The push service's TLS certificate is not trusted (${code}: ${error.message}). For a simulator, pass its CA (--ca / the sender's "ca" option); never turn verification off.` };
  }
  // A server that checks client certificates after the handshake (Node's does) just closes
  // the connection: from here that looks like any reset, so it stays a retry, with a hint.
  const duringHandshake = /before secure TLS connection was established/.test(error.message)
    ? ' The server closed the connection during the TLS handshake: if this repeats, it is refusing the client certificate; check it with "certpush mpns check-cert".'
    : '';
  return { ...base, outcome: 'retry', reason: 'ConnectionFailed', retryAfterMs: backoff, message: `Could not reach the push service (${code || 'error'}: ${error.message}). Send it again in ${backoff / MINUTE} minute(s).${duringHandshake}` };
}

function definedOnly(headers: MpnsResponseStatus): MpnsResponseStatus {
  const out: MpnsResponseStatus = {};
  if (headers.notificationStatus !== undefined) out.notificationStatus = headers.notificationStatus;
  if (headers.subscriptionStatus !== undefined) out.subscriptionStatus = headers.subscriptionStatus;
  if (headers.deviceConnectionStatus !== undefined) out.deviceConnectionStatus = headers.deviceConnectionStatus;
  return out;
}
