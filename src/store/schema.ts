import type { Generated } from 'kysely';

// Field names are camelCase here and snake_case in SQL (Kysely's CamelCasePlugin maps them).
// Times are epoch milliseconds (BIGINT) in both databases; booleans are 0/1; JSON is text.
// One representation for SQLite and PostgreSQL keeps one set of queries.

export interface TenantTable {
  id: string;
  name: string;
  createdAt: number;
  /** Set when a credential failure paused sending (code: reason); cleared by a new credential. */
  pausedReason: string | null;
  pausedAt: number | null;
}

export interface ApiKeyTable {
  id: string;
  /** Null for operator keys. */
  tenantId: string | null;
  /** SHA-256 of the key, hex. Keys are 256 random bits, so a fast hash is enough. */
  hash: string;
  /** The first characters, to recognise a key in lists without revealing it. */
  prefix: string;
  label: string;
  createdAt: number;
  revokedAt: number | null;
}

/** One MDM push certificate per tenant: the current one and, while renewing, the pending key/CSR. */
export interface MdmCertTable {
  tenantId: string;
  certPem: string | null;
  /** The private key of cert_pem, sealed. */
  keySealed: string | null;
  topic: string | null;
  notAfter: number | null;
  fingerprint: string | null;
  /** A CSR waiting for Apple: its key (sealed), the CSR, and the signed request once made. */
  pendingKeySealed: string | null;
  pendingCsrPem: string | null;
  pendingRequest: string | null;
  /** Expiry warnings already sent for the current certificate ("30,14,7,expired"). */
  warned: string;
  updatedAt: number;
}

export interface MpnsCredentialTable {
  tenantId: string;
  certPem: string;
  chainPem: string;
  keySealed: string;
  serviceName: string;
  notAfter: number;
  fingerprint: string;
  warned: string;
  updatedAt: number;
}

export interface DeviceTable {
  id: string;
  tenantId: string;
  platform: 'mdm' | 'apns' | 'mpns';
  /** APNs device token (hex) or MPNS channel URI. */
  token: string;
  pushMagic: string | null;
  topic: string | null;
  /** MDM: the enrollment (device UDID / EnrollmentID, or "<device>:<UserID>" for a user channel); unique per tenant. */
  enrollmentId: string | null;
  createdAt: number;
  updatedAt: number;
  invalidAt: number | null;
  invalidReason: string | null;
}

export interface NotificationTable {
  id: string;
  tenantId: string;
  idempotencyKey: string | null;
  /** SHA-256 of the request body: an Idempotency-Key reused with another body is refused. */
  requestHash: string;
  /** The platform payloads, JSON. */
  payload: string;
  expiresAt: number | null;
  createdAt: number;
  total: number;
  completedAt: number | null;
  /** Small key the deliveries point at (cheaper per row than the text id). */
  seq: Generated<number>;
  /** Deliveries folded in by retention, by final state (README: Retention). */
  foldedDelivered: Generated<number>;
  foldedInvalid: Generated<number>;
  foldedRejected: Generated<number>;
  foldedExpired: Generated<number>;
  foldedFailed: Generated<number>;
  /** When retention finished folding the per-device rows; null while they are kept. */
  detailExpiredAt: Generated<number | null>;
  /**
   * An `all` fan-out still being fed into the queue slice by slice (src/store/fanout-slices.ts):
   * the last device id queued, in (tenant_id, id) order. Null once every member is queued — and
   * for explicit device lists, which are queued whole at the creation.
   */
  feedCursor: Generated<string | null>;
  /** The platforms an `all` fan-out's members are of, comma-separated ("mdm,mpns"); null for explicit lists. */
  feedPlatforms: Generated<string | null>;
  /** While feeding: the newest member's `created_at` at the creation (devices registered later are not members). */
  feedUntil: Generated<number | null>;
  /** Rows queued so far (every slice's): while feeding, `total − fed` members are still to be queued. */
  fed: Generated<number>;
}

export type DeliveryState = 'pending' | 'delivered' | 'invalid' | 'rejected' | 'expired' | 'failed';

/** A final state: what a row of `delivery_results` holds. */
export type FinalState = Exclude<DeliveryState, 'pending'>;

/**
 * `delivery_results.state` as a small code (2 bytes instead of a text of up to 10), in one
 * place for the writers (deliveries.ts, the migration) and the readers (reports, retention).
 */
export const FINAL_STATE_CODE = { delivered: 1, invalid: 2, rejected: 3, expired: 4, failed: 5 } as const satisfies Record<FinalState, number>;

/**
 * The queue: one row per delivery not yet final (README: Design, "The queue and the results").
 * Inserted by the fan-out, leased by claims (an update of next_attempt_at), updated by a retry,
 * deleted by its final outcome — which inserts its `delivery_results` row in the same statement.
 */
export interface DeliveryQueueTable {
  id: Generated<number>;
  /** The notification's `seq`. */
  notificationSeq: number;
  tenantId: string;
  deviceId: string;
  attempts: number;
  /** When the row is next due: at the fan-out, or a retry's time. A claim does not change it. */
  nextAttemptAt: number;
  /**
   * The lease: claimed rows are not claimed again before this time (0: never claimed since the
   * last try). A lease that runs out (a worker died) makes the row claimable again with no
   * extra bookkeeping. A column no index holds, so the claim's update is a HOT update on
   * PostgreSQL: no new index entry, and the dead version pruned from its page without vacuum.
   */
  leasedUntil: Generated<number>;
  /** The last try's class, status and reason, for a row waiting to retry (e.g. "retry", 503, "ServiceUnavailable"). */
  lastClass: string | null;
  lastStatus: number | null;
  lastReason: string | null;
  updatedAt: number;
}

/** One final outcome per delivery, inserted once and never updated (retention deletes it). */
export interface DeliveryResultTable {
  notificationSeq: number;
  /** The delivery's id, as it had in the queue (the report's cursor). */
  id: number;
  /** FINAL_STATE_CODE. */
  state: number;
  attempts: number;
  /** The last attempt's class: null when it is the state's own name (delivered, invalid, …), the common case. */
  lastClass: string | null;
  lastStatus: number | null;
  lastReason: string | null;
  deviceId: string;
  /** When the outcome was recorded. */
  updatedAt: number;
}

export interface AuditTable {
  id: Generated<number>;
  tenantId: string | null;
  /** Who: "operator:<key id>", "tenant:<key id>", "cli", "system". */
  actor: string;
  action: string;
  detail: string;
  at: number;
}

export interface WebhookTable {
  tenantId: string;
  url: string;
  secretSealed: string;
  events: string;
  updatedAt: number;
}

export interface WebhookEventTable {
  id: Generated<number>;
  tenantId: string;
  event: string;
  /** The JSON body to POST. */
  payload: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
}

export interface MpnsQuotaTable {
  /** SHA-256 of the channel URI (hex): URIs run to 1,024 characters. */
  subscription: string;
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  used: number;
}

/** A tenant's secret for `X-Hmac-Signature` on check-in events (nanomdm's -webhook-hmac-key), sealed. */
export interface MdmCheckinSecretTable {
  tenantId: string;
  secretSealed: string;
  updatedAt: number;
}

/** Check-in events already applied, by event id: a replay changes nothing. */
export interface MdmCheckinEventTable {
  tenantId: string;
  eventId: string;
  topic: string;
  enrollmentId: string | null;
  receivedAt: number;
}

/** A named job only one process may run at a time (retention): held by `holder` until `until`. */
export interface LeaseTable {
  name: string;
  holder: string;
  until: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** One paused platform of a tenant (its credential was refused); rows of others keep going. */
export interface PlatformPauseTable {
  tenantId: string;
  platform: string;
  reason: string;
  pausedAt: number;
}

export interface Schema {
  tenants: TenantTable;
  platformPauses: PlatformPauseTable;
  apiKeys: ApiKeyTable;
  mdmCerts: MdmCertTable;
  mpnsCredentials: MpnsCredentialTable;
  devices: DeviceTable;
  notifications: NotificationTable;
  deliveryQueue: DeliveryQueueTable;
  deliveryResults: DeliveryResultTable;
  auditLog: AuditTable;
  webhooks: WebhookTable;
  webhookEvents: WebhookEventTable;
  mpnsQuota: MpnsQuotaTable;
  mdmCheckinSecrets: MdmCheckinSecretTable;
  mdmCheckinEvents: MdmCheckinEventTable;
  meta: MetaTable;
  leases: LeaseTable;
}
