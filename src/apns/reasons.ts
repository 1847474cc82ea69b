// Apple's table of APNs error reasons ("Handling notification responses from APNs"): the HTTP
// status each comes with and what a provider should do about it. Pure data, shared by the
// client (to classify answers) and the simulator (to give them).

/** What a sender does with an outcome. */
export type OutcomeClass = 'accepted' | 'invalid' | 'rejected' | 'credential' | 'retry';

export interface ReasonInfo {
  status: number;
  /**
   * invalid: the device token is dead (stop sending to it); rejected: this request is wrong
   * (fix it, do not retry as is); credential: the certificate or provider token is wrong (pause
   * the sender); retry: transient (wait, then send again).
   */
  class: Exclude<OutcomeClass, 'accepted'>;
  meaning: string;
}

/** Every reason in Apple's table. */
export const APNS_REASONS = {
  BadCollapseId: { status: 400, class: 'rejected', meaning: 'The collapse identifier exceeds the maximum allowed size.' },
  BadDeviceToken: { status: 400, class: 'invalid', meaning: 'The specified device token is invalid. Verify that the request contains a valid token and that the token matches the environment.' },
  BadExpirationDate: { status: 400, class: 'rejected', meaning: 'The apns-expiration value is invalid.' },
  BadMessageId: { status: 400, class: 'rejected', meaning: 'The apns-id value is invalid.' },
  BadPriority: { status: 400, class: 'rejected', meaning: 'The apns-priority value is invalid.' },
  BadTopic: { status: 400, class: 'rejected', meaning: 'The apns-topic value is invalid.' },
  DeviceTokenNotForTopic: { status: 400, class: 'invalid', meaning: 'The device token doesn\'t match the specified topic.' },
  DuplicateHeaders: { status: 400, class: 'rejected', meaning: 'One or more headers are repeated.' },
  IdleTimeout: { status: 400, class: 'retry', meaning: 'Idle timeout.' },
  InvalidPushType: { status: 400, class: 'rejected', meaning: 'The apns-push-type value is invalid.' },
  MissingDeviceToken: { status: 400, class: 'rejected', meaning: 'The device token isn\'t specified in the request :path.' },
  MissingTopic: { status: 400, class: 'rejected', meaning: 'The apns-topic header of the request isn\'t specified and is required.' },
  PayloadEmpty: { status: 400, class: 'rejected', meaning: 'The message payload is empty.' },
  TopicDisallowed: { status: 400, class: 'rejected', meaning: 'Pushing to this topic is not allowed.' },
  BadCertificate: { status: 403, class: 'credential', meaning: 'The certificate is invalid.' },
  BadCertificateEnvironment: { status: 403, class: 'credential', meaning: 'The client certificate is for the wrong environment.' },
  ExpiredProviderToken: { status: 403, class: 'credential', meaning: 'The provider token is stale and a new token should be generated.' },
  Forbidden: { status: 403, class: 'credential', meaning: 'The specified action is not allowed.' },
  InvalidProviderToken: { status: 403, class: 'credential', meaning: 'The provider token is not valid, or the token signature can\'t be verified.' },
  MissingProviderToken: { status: 403, class: 'credential', meaning: 'No provider certificate was used to connect to APNs, and the authorization header is missing or no provider token is specified.' },
  UnrelatedKeyIdInToken: { status: 403, class: 'credential', meaning: 'The key ID in the provider token isn\'t related to the key ID of the token used in the first push of this connection.' },
  BadEnvironmentKeyIdInToken: { status: 403, class: 'credential', meaning: 'The key ID in the provider token doesn\'t match the environment.' },
  BadPath: { status: 404, class: 'rejected', meaning: 'The request contained an invalid :path value.' },
  MethodNotAllowed: { status: 405, class: 'rejected', meaning: 'The specified :method value isn\'t POST.' },
  ExpiredToken: { status: 410, class: 'invalid', meaning: 'The device token has expired.' },
  Unregistered: { status: 410, class: 'invalid', meaning: 'The device token is inactive for the specified topic.' },
  PayloadTooLarge: { status: 413, class: 'rejected', meaning: 'The message payload is too large.' },
  TooManyProviderTokenUpdates: { status: 429, class: 'retry', meaning: 'The provider\'s authentication token is being updated too often.' },
  TooManyRequests: { status: 429, class: 'retry', meaning: 'Too many requests were made consecutively to the same device token.' },
  InternalServerError: { status: 500, class: 'retry', meaning: 'An internal server error occurred.' },
  ServiceUnavailable: { status: 503, class: 'retry', meaning: 'The service is unavailable.' },
  Shutdown: { status: 503, class: 'retry', meaning: 'The APNs server is shutting down.' },
} as const satisfies Record<string, ReasonInfo>;

export type ApnsReason = keyof typeof APNS_REASONS;

/** True when `reason` is one of Apple's documented reasons. */
export function isApnsReason(reason: string): reason is ApnsReason {
  return Object.hasOwn(APNS_REASONS, reason);
}

/**
 * The class of an APNs answer: from the reason when Apple documents it, else from the status
 * (APNs: 403 is about the credential, 410 about the token, 429/5xx are transient).
 *
 * @example classify(410, 'Unregistered') // 'invalid'
 */
export function classify(status: number, reason: string | undefined): Exclude<OutcomeClass, 'accepted'> {
  if (reason !== undefined && isApnsReason(reason)) return APNS_REASONS[reason].class;
  if (status === 403) return 'credential';
  if (status === 410) return 'invalid';
  if (status === 429 || status >= 500 || status === 0) return 'retry';
  return 'rejected';
}
