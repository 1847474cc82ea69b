// The simulator's own copy of Apple's response table ("Handling notification responses from
// APNs": the :status that comes with each `reason`). Deliberately not imported from the
// client (src/apns/reasons.ts): the simulator is the client's referee, so a wrong entry on
// either side shows up as a disagreement in test/simulators/apns-referee.test.ts.

/** Every `reason` Apple documents, with the HTTP status it is answered with. */
export const APPLE_REASON_STATUS = {
  // 400 Bad request
  BadCollapseId: 400,
  BadDeviceToken: 400,
  BadExpirationDate: 400,
  BadMessageId: 400,
  BadPriority: 400,
  BadTopic: 400,
  DeviceTokenNotForTopic: 400,
  DuplicateHeaders: 400,
  IdleTimeout: 400,
  InvalidPushType: 400,
  MissingDeviceToken: 400,
  MissingTopic: 400,
  PayloadEmpty: 400,
  TopicDisallowed: 400,
  // 403 the certificate or the provider token
  BadCertificate: 403,
  BadCertificateEnvironment: 403,
  ExpiredProviderToken: 403,
  Forbidden: 403,
  InvalidProviderToken: 403,
  MissingProviderToken: 403,
  UnrelatedKeyIdInToken: 403,
  BadEnvironmentKeyIdInToken: 403,
  // 404 an invalid :path
  BadPath: 404,
  // 405 a :method other than POST
  MethodNotAllowed: 405,
  // 410 the token is no longer active for the topic
  ExpiredToken: 410,
  Unregistered: 410,
  // 413 the payload is too large
  PayloadTooLarge: 413,
  // 429 too many requests for one token, or token updates
  TooManyProviderTokenUpdates: 429,
  TooManyRequests: 429,
  // 500, 503
  InternalServerError: 500,
  ServiceUnavailable: 503,
  Shutdown: 503,
} as const satisfies Record<string, number>;

/** A reason from Apple's table. */
export type AppleReason = keyof typeof APPLE_REASON_STATUS;
