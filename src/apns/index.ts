// The APNs provider client as the `apns` namespace of the library (src/index.ts): HTTP/2
// sessions to Apple's push service with certificate or token auth, local checks, and outcomes
// as values. Named, not `export *`: request framing and response mapping (headers, the device
// path, failureFromResponse, prepareNotification) stay inside, so the simulator and users
// cannot lean on them.

// The client and its notifications.
export { ApnsClient } from './client.ts';
export type { ApnsClientOptions, SendSummary, TokenCredential } from './client.ts';
export type { TransportName } from './transport/transport.ts';
export { MDM_DEFAULT_EXPIRATION_SECONDS, MDM_PRIORITY, mdmNotification } from './notification.ts';
export type { Notification } from './notification.ts';

// Apple's request rules, for checking input before it is queued.
export { APNS_ID_PATTERN, DEVICE_TOKEN_PATTERN, MAX_COLLAPSE_ID_BYTES, MAX_PAYLOAD_BYTES, MAX_VOIP_PAYLOAD_BYTES, maxPayloadBytes, PRIORITIES, PUSH_TYPES, TOPIC_PATTERN } from './request-rules.ts';
export type { Priority, PushType } from './request-rules.ts';

// Where to connect.
export { APNS_HOSTS, APNS_PORTS, resolveEndpoint } from './endpoints.ts';
export type { Endpoint } from './endpoints.ts';

// Outcomes: Apple's reasons, their classes, and what certpush decides locally.
export type { Accepted, Failed, Outcome } from './outcome.ts';
export { LOCAL_REASONS } from './outcome.ts';
export { APNS_REASONS, classify, isApnsReason } from './reasons.ts';
export type { ApnsReason, OutcomeClass, ReasonInfo } from './reasons.ts';

// Retry timing.
export { backoffDelay, DEFAULT_BACKOFF, DEFAULT_RECONNECT_BACKOFF } from './backoff.ts';
export type { BackoffPolicy } from './backoff.ts';

// Token (JWT) authentication.
export { JwtSigner, TOKEN_MAX_AGE_MS, TOKEN_MIN_AGE_MS, TOKEN_REFRESH_MS } from './jwt-signer.ts';
export type { JwtSignerOptions } from './jwt-signer.ts';
