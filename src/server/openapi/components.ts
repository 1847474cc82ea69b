/**
 * The API's shared shapes, as JSON Schema (2020-12, which OpenAPI 3.1 uses). Each is registered
 * with `app.addSchema` and referenced as `{ $ref: '<Name>#' }`, so it appears once in
 * `/openapi.json` under `components.schemas`.
 *
 * Each one lists exactly what the handler builds (see the function named in its comment), with
 * `additionalProperties: false` and `required` for what is always there: the API tests check
 * every response against these schemas, so a field added to a handler and not here fails them
 * (responses are sent with JSON.stringify, not serialized from these: see register.ts).
 * The console's types (src/console/api-types.ts) are generated from this file.
 */
import { WEBHOOK_EVENTS } from '../../service/webhooks.ts';

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;

/** RFC 9457 problem details (server/problem.ts), with certpush's stable `code`. */
export const Problem = {
  $id: 'Problem',
  type: 'object',
  description: 'application/problem+json (RFC 9457). Branch on `code`, which is stable; `detail` says what was wrong and how to fix it.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: 'A URI naming the problem type' },
    title: { type: 'string', description: 'The HTTP status in words' },
    status: { type: 'integer', description: 'The HTTP status code' },
    detail: { type: 'string', description: 'What went wrong and how to fix it' },
    code: { type: 'string', description: 'certpush\'s stable error code, SCREAMING_SNAKE', examples: ['TENANT_NOT_FOUND'] },
    errors: {
      type: 'array', description: 'Request validation: each field that failed',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } }, additionalProperties: true },
    },
    findings: { type: 'array', description: 'Certificate and request checks: every problem found', items: { $ref: 'Finding#' } },
    problems: { type: 'array', description: 'Device imports: the lines that were refused', items: { type: 'object', additionalProperties: true } },
  },
  // Extension members (RFC 9457 §3.2) may be added; clients ignore what they do not know.
  additionalProperties: true,
} as const;

/** A check's finding (pki/finding.ts). */
export const Finding = {
  $id: 'Finding',
  type: 'object',
  required: ['code', 'message', 'severity'],
  properties: {
    code: { type: 'string', description: 'Stable, SCREAMING_SNAKE' },
    message: { type: 'string', description: 'What is wrong and how to fix it' },
    severity: { type: 'string', enum: ['error', 'warning'] },
  },
  additionalProperties: false,
} as const;

export const MdmCertState = {
  $id: 'MdmCertState',
  type: 'string',
  description: 'none → awaiting-signature (CSR made) → awaiting-apple (signed request ready) → active; renewing (a new CSR while the current certificate works); expired',
  enum: ['none', 'awaiting-signature', 'awaiting-apple', 'active', 'renewing', 'expired'],
} as const;

export const Platform = { $id: 'Platform', type: 'string', enum: ['mdm', 'apns', 'mpns'] } as const;

export const DeviceCounts = {
  $id: 'DeviceCounts',
  type: 'object',
  required: ['total', 'invalid'],
  properties: { total: { type: 'integer' }, invalid: { type: 'integer', description: 'Devices whose token the push service refused (gone, or checked out)' } },
  additionalProperties: false,
} as const;

/** A tenant with the state of its credentials (routes/tenants.ts `summary`). */
export const Tenant = {
  $id: 'Tenant',
  type: 'object',
  required: ['id', 'name', 'createdAt', 'paused', 'mdm', 'mpns', 'devices'],
  properties: {
    id: { type: 'string', examples: ['ten_3kq9w2c8d1f0'] },
    name: { type: 'string' },
    createdAt: dateTime,
    paused: {
      type: ['object', 'null'], description: 'Set while delivery is paused because a credential failed',
      required: ['reason', 'since'], properties: { reason: { type: 'string' }, since: dateTime }, additionalProperties: false,
    },
    mdm: {
      type: 'object', required: ['state', 'topic', 'notAfter', 'daysLeft'], additionalProperties: false,
      properties: { state: { $ref: 'MdmCertState#' }, topic: nullableString, notAfter: nullableDateTime, daysLeft: { type: ['integer', 'null'] } },
    },
    mpns: {
      type: ['object', 'null'], required: ['serviceName', 'notAfter', 'daysLeft'], additionalProperties: false,
      properties: { serviceName: { type: 'string' }, notAfter: dateTime, daysLeft: { type: 'integer' } },
    },
    devices: { $ref: 'DeviceCounts#' },
  },
  additionalProperties: false,
} as const;

export const TenantList = {
  $id: 'TenantList',
  type: 'object', required: ['items'], additionalProperties: false,
  properties: { items: { type: 'array', items: { $ref: 'Tenant#' } } },
} as const;

export const WhoAmI = {
  $id: 'WhoAmI',
  type: 'object', required: ['kind', 'keyId', 'tenant'], additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['operator', 'tenant'] },
    keyId: { type: 'string' },
    tenant: { type: ['object', 'null'], required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } }, additionalProperties: false },
  },
} as const;

export const CreatedApiKey = {
  $id: 'CreatedApiKey',
  type: 'object', required: ['key', 'id', 'label', 'prefix', 'createdAt'], additionalProperties: false,
  properties: {
    key: { type: 'string', description: 'The API key itself: shown this once, store it now' },
    id: { type: 'string' }, label: { type: 'string' },
    prefix: { type: 'string', description: 'The start of the key, to recognize it later' },
    createdAt: dateTime,
  },
} as const;

/** A key as listed: never the key itself nor its hash, which certpush does not keep. */
export const ApiKey = {
  $id: 'ApiKey',
  type: 'object', required: ['id', 'label', 'prefix', 'createdAt', 'revokedAt'], additionalProperties: false,
  properties: {
    id: { type: 'string' }, label: { type: 'string' },
    prefix: { type: 'string', description: 'The start of the key, to recognize it' },
    createdAt: dateTime,
    revokedAt: { ...nullableDateTime, description: 'When the key was revoked; null while it works' },
  },
} as const;

export const ApiKeyList = {
  $id: 'ApiKeyList',
  type: 'object', required: ['items'], additionalProperties: false,
  properties: { items: { type: 'array', items: { $ref: 'ApiKey#' } } },
} as const;

export const AuditLog = {
  $id: 'AuditLog',
  type: 'object', required: ['items'], additionalProperties: false,
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object', required: ['at', 'actor', 'action', 'detail'], additionalProperties: false,
        properties: { at: dateTime, actor: { type: 'string' }, action: { type: 'string', examples: ['mdm.cert.imported'] }, detail: { type: 'object', additionalProperties: true } },
      },
    },
  },
} as const;

/** The MDM push certificate as one resource with a state (service/mdm-push-cert.ts `describeMdmCert`). */
export const MdmCert = {
  $id: 'MdmCert',
  type: 'object',
  required: ['state', 'topic', 'notAfter', 'daysLeft', 'fingerprint', 'subject', 'pendingCsr', 'pendingRequest', 'requiredTopic', 'issuer'],
  properties: {
    state: { $ref: 'MdmCertState#' },
    topic: { ...nullableString, description: 'The push topic (com.apple.mgmt.…), from the certificate' },
    notAfter: nullableDateTime,
    daysLeft: { type: ['integer', 'null'] },
    fingerprint: { ...nullableString, description: 'SHA-256 of the certificate' },
    subject: nullableString,
    pendingCsr: { ...nullableString, description: 'The CSR waiting for a signature or for Apple (PEM)' },
    pendingRequest: { ...nullableString, description: 'The Base64 request for Apple\'s portal, once signed' },
    requiredTopic: { ...nullableString, description: 'During renewal: the topic the new certificate must have' },
    issuer: {
      type: ['object', 'null'], required: ['apple', 'name', 'root'], additionalProperties: false,
      description: 'Who issued the certificate: apple is true when it chains to Apple\'s built-in CAs',
      properties: { apple: { type: 'boolean' }, name: nullableString, root: nullableString },
    },
    csr: { ...nullableString, description: 'POST …/mdm/csr: the new CSR (PEM), same as pendingCsr' },
    request: { ...nullableString, description: '…/mdm/push-cert-request: the signed request (Base64), same as pendingRequest' },
    warnings: { type: 'array', items: { $ref: 'Finding#' }, description: 'PUT …/mdm/push-cert: what the import noticed but accepted' },
  },
  additionalProperties: false,
} as const;

/** The tenant's MPNS credential (service/mpns-credential.ts `getMpnsCredential`). */
export const MpnsCredential = {
  $id: 'MpnsCredential',
  type: 'object',
  required: ['serviceName', 'appUsage', 'subject', 'notAfter', 'daysLeft', 'fingerprint'],
  properties: {
    serviceName: { type: 'string', description: 'The Service Name (subject CN) the app passes when it opens its channel' },
    appUsage: { type: 'string', description: 'How the app uses it', examples: ['new HttpNotificationChannel(channelName, "push.example.com")'] },
    subject: { type: 'string' },
    notAfter: dateTime,
    daysLeft: { type: 'integer' },
    fingerprint: { type: 'string' },
    report: { $ref: 'MpnsCredentialReport#', description: 'PUT only: the checks the certificate passed' },
  },
  additionalProperties: false,
} as const;

/** mpns/credential-check.ts `MpnsCredentialReport`. */
export const MpnsCredentialReport = {
  $id: 'MpnsCredentialReport',
  type: 'object',
  required: ['passed', 'findings', 'serviceName', 'appUsage', 'subject', 'issuer', 'notAfter', 'daysLeft', 'extendedKeyUsage', 'chain', 'root'],
  properties: {
    passed: { type: 'boolean' },
    findings: { type: 'array', items: { $ref: 'Finding#' } },
    serviceName: nullableString,
    appUsage: nullableString,
    subject: { type: 'string' },
    issuer: { type: 'string' },
    notAfter: dateTime,
    daysLeft: { type: 'integer' },
    extendedKeyUsage: { type: 'array', items: { type: 'string' } },
    chain: { type: 'array', items: { type: 'string' }, description: 'Subjects from the certificate up to its root' },
    root: { ...nullableString, description: 'The allowed root it chains to' },
  },
  additionalProperties: false,
} as const;

/** A device as the API shows it (server/views.ts `deviceView`): MPNS devices show channelUri, others token. */
export const Device = {
  $id: 'Device',
  type: 'object',
  required: ['id', 'platform', 'status', 'invalidAt', 'invalidReason', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string', examples: ['dev_8d2k1m0q7w3e'] },
    platform: { $ref: 'Platform#' },
    token: { type: 'string', description: 'mdm, apns: the device token (hex)' },
    channelUri: { type: 'string', description: 'mpns: the channel URI' },
    pushMagic: { type: 'string', description: 'mdm: the PushMagic of the TokenUpdate' },
    topic: { type: 'string', description: 'apns: the app\'s topic' },
    enrollmentId: { type: 'string', description: 'mdm devices registered by check-in: the enrollment id' },
    status: { type: 'string', enum: ['active', 'invalid'] },
    invalidAt: nullableDateTime,
    invalidReason: nullableString,
    createdAt: dateTime,
    updatedAt: dateTime,
  },
  additionalProperties: false,
} as const;

export const DevicePage = {
  $id: 'DevicePage',
  type: 'object', required: ['items', 'nextCursor', 'total'], additionalProperties: false,
  properties: {
    items: { type: 'array', items: { $ref: 'Device#' } },
    nextCursor: { ...nullableString, description: 'Pass as ?cursor= for the next page; null on the last' },
    total: { $ref: 'DeviceCounts#', description: 'The tenant\'s devices, all of them (not only those matching the filter)' },
  },
} as const;

export const ImportResult = {
  $id: 'ImportResult',
  type: 'object', required: ['imported'], additionalProperties: false,
  properties: { imported: { type: 'integer', description: 'Devices registered or updated' } },
} as const;

export const SentNotification = {
  $id: 'SentNotification',
  type: 'object', required: ['id', 'total', 'replayed'], additionalProperties: false,
  properties: {
    id: { type: 'string', examples: ['ntf_5b7x0c2v9n1m'] },
    total: { type: 'integer', description: 'Deliveries: the devices it went to when it was sent (a fan-out to all devices is corrected, once its last slice is queued, for devices deleted meanwhile)' },
    replayed: { type: 'boolean', description: 'True when the Idempotency-Key was seen before: this is the first request\'s notification' },
  },
} as const;

export const NotificationSummary = {
  $id: 'NotificationSummary',
  type: 'object', required: ['id', 'total', 'createdAt', 'completedAt'], additionalProperties: false,
  properties: { id: { type: 'string' }, total: { type: 'integer' }, createdAt: dateTime, completedAt: nullableDateTime },
} as const;

export const NotificationList = {
  $id: 'NotificationList',
  type: 'object', required: ['items'], additionalProperties: false,
  properties: { items: { type: 'array', items: { $ref: 'NotificationSummary#' } } },
} as const;

export const Outcome = {
  $id: 'Outcome',
  type: 'string', description: 'A delivery\'s outcome; pending includes retrying',
  enum: ['pending', 'retrying', 'delivered', 'invalid', 'rejected', 'expired', 'failed'],
} as const;

export const DeliveryResult = {
  $id: 'DeliveryResult',
  type: 'object',
  required: ['deviceId', 'platform', 'token', 'state', 'attempts', 'class', 'status', 'reason', 'updatedAt', 'nextAttemptAt'],
  properties: {
    deviceId: { type: 'string' },
    platform: nullableString,
    token: nullableString,
    state: { type: 'string', description: 'pending, delivered, invalid, rejected, expired or failed' },
    attempts: { type: 'integer' },
    class: { ...nullableString, description: 'The last attempt\'s outcome class' },
    status: { type: ['integer', 'null'], description: 'The push service\'s HTTP status of the last attempt' },
    reason: { ...nullableString, description: 'The push service\'s reason, e.g. BadDeviceToken' },
    updatedAt: dateTime,
    nextAttemptAt: nullableDateTime,
  },
  additionalProperties: false,
} as const;

/** service/notifications.ts `notificationReport`. */
export const NotificationReport = {
  $id: 'NotificationReport',
  type: 'object',
  required: ['id', 'createdAt', 'completedAt', 'expiresAt', 'total', 'counts', 'detailExpiredAt', 'timeline', 'results', 'nextCursor'],
  properties: {
    id: { type: 'string' },
    createdAt: dateTime,
    completedAt: nullableDateTime,
    expiresAt: nullableDateTime,
    total: { type: 'integer' },
    counts: {
      type: 'object', description: 'Deliveries by outcome; retention keeps these after the detail goes',
      required: ['pending', 'retrying', 'delivered', 'invalid', 'rejected', 'expired', 'failed'], additionalProperties: false,
      properties: {
        pending: { type: 'integer' }, retrying: { type: 'integer' }, delivered: { type: 'integer' }, invalid: { type: 'integer' },
        rejected: { type: 'integer' }, expired: { type: 'integer' }, failed: { type: 'integer' },
      },
    },
    detailExpiredAt: { ...nullableDateTime, description: 'When retention deleted the per-device detail (the counts remain); null while kept' },
    timeline: {
      type: 'array', description: 'Deliveries accepted by the push service, per second since the notification was created',
      items: { type: 'object', required: ['second', 'delivered'], additionalProperties: false, properties: { second: { type: 'integer' }, delivered: { type: 'integer' } } },
    },
    results: { type: 'array', items: { $ref: 'DeliveryResult#' } },
    nextCursor: nullableString,
  },
  additionalProperties: false,
} as const;

export const WebhookEvent = {
  $id: 'WebhookEvent',
  type: 'string', enum: WEBHOOK_EVENTS,
} as const;

/** service/webhooks.ts: `putWebhook` adds the secret, the GET route adds recent events. */
export const Webhook = {
  $id: 'Webhook',
  type: 'object', required: ['url', 'events'], additionalProperties: false,
  properties: {
    url: { type: 'string' },
    events: { type: 'array', items: { $ref: 'WebhookEvent#' } },
    secret: { type: 'string', description: 'PUT only: the signing secret, shown this once' },
    recent: {
      type: 'array', description: 'GET only: the latest 20 events',
      items: {
        type: 'object', required: ['id', 'event', 'state', 'attempts', 'lastError', 'createdAt'], additionalProperties: false,
        properties: {
          id: { type: 'integer' }, event: { type: 'string' }, state: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
          attempts: { type: 'integer' }, lastError: nullableString, createdAt: dateTime,
        },
      },
    },
  },
} as const;

export const CheckinSecret = {
  $id: 'CheckinSecret',
  type: 'object', required: ['secret'], additionalProperties: false,
  properties: { secret: { type: 'string', description: 'Give it to nanomdm as -webhook-hmac-key; shown this once' } },
} as const;

/** service/mdm-checkins.ts `CheckinOutcome`, its device as a Device. */
export const CheckinOutcome = {
  $id: 'CheckinOutcome',
  type: 'object', required: ['format', 'messageType', 'eventId', 'enrollmentId', 'action', 'replayed', 'device'], additionalProperties: false,
  properties: {
    format: { type: 'string', enum: ['nanomdm', 'micromdm', 'plist'] },
    messageType: { type: 'string', examples: ['TokenUpdate'] },
    eventId: { type: 'string' },
    enrollmentId: nullableString,
    action: { type: 'string', enum: ['registered', 'checked-out', 'reenrolling', 'ignored'] },
    replayed: { type: 'boolean', description: 'True when this event id was applied before: nothing changed now' },
    device: { anyOf: [{ $ref: 'Device#' }, { type: 'null' }] },
  },
} as const;

/** nanomdm's push API answer (service/mdm-push.ts `PushAnswer`). */
export const PushAnswer = {
  $id: 'PushAnswer',
  type: 'object', required: ['status'], additionalProperties: false,
  properties: {
    status: {
      type: 'object', description: 'Per enrollment id: push_result (the apns-id) or push_error',
      additionalProperties: {
        type: 'object', additionalProperties: false,
        properties: { push_result: { type: 'string' }, push_error: { type: 'string' } },
      },
    },
    notification_id: { type: 'string', description: 'The notification the pushes went into, when any was queued' },
  },
} as const;

export const VendorCertificate = {
  $id: 'VendorCertificate',
  type: 'object', required: ['checkedAt'], additionalProperties: false,
  description: 'The vendor MDM signing certificate, as the signer last reported it (or the error asking it)',
  properties: { subject: { type: 'string' }, notAfter: dateTime, daysLeft: { type: 'integer' }, error: { type: 'string' }, checkedAt: dateTime },
} as const;

export const OperatorStatus = {
  $id: 'OperatorStatus',
  type: 'object', required: ['vendorCertificate', 'queueDepth', 'tenants', 'database'], additionalProperties: false,
  properties: {
    vendorCertificate: { anyOf: [{ $ref: 'VendorCertificate#' }, { type: 'null' }], description: 'Null when no signer is configured' },
    queueDepth: { type: 'integer', description: 'Deliveries waiting to be sent' },
    tenants: { type: 'integer' },
    database: { type: 'string', enum: ['sqlite', 'postgres'] },
  },
} as const;

export const Health = {
  $id: 'Health',
  type: 'object', required: ['status'], additionalProperties: false,
  properties: { status: { type: 'string', enum: ['ok'] } },
} as const;

export const Readiness = {
  $id: 'Readiness',
  type: 'object', required: ['status', 'database'], additionalProperties: false,
  properties: { status: { type: 'string', enum: ['ready'] }, database: { type: 'string', enum: ['sqlite', 'postgres'] } },
} as const;

/** Every component, in the order /openapi.json lists them (the $refs among them resolve in any order). */
export const componentSchemas = [
  Problem, Finding, Tenant, TenantList, WhoAmI, CreatedApiKey, ApiKey, ApiKeyList, AuditLog, DeviceCounts, MdmCertState, MdmCert,
  MpnsCredential, MpnsCredentialReport, Platform, Device, DevicePage, ImportResult, SentNotification,
  NotificationSummary, NotificationList, Outcome, DeliveryResult, NotificationReport, WebhookEvent, Webhook,
  CheckinSecret, CheckinOutcome, PushAnswer, VendorCertificate, OperatorStatus, Health, Readiness,
] as const;
