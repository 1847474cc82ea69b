// The shapes the console reads from certpush's HTTP API (/openapi.json describes the routes).

export type MdmCertState = 'none' | 'awaiting-signature' | 'awaiting-apple' | 'active' | 'renewing' | 'expired';

export interface Finding {
  code: string;
  message: string;
  severity: 'error' | 'warning';
}

/** application/problem+json, with certpush's stable `code` and, for checks, their findings. */
export interface Problem {
  title: string;
  status: number;
  detail: string;
  code: string;
  findings?: Finding[];
}

export interface TenantSummary {
  id: string;
  name: string;
  createdAt: string;
  paused: { reason: string; since: string } | null;
  mdm: { state: MdmCertState; topic: string | null; notAfter: string | null; daysLeft: number | null };
  mpns: { serviceName: string; notAfter: string; daysLeft: number } | null;
  devices: DeviceCounts;
}

export interface DeviceCounts {
  total: number;
  invalid: number;
}

export interface VendorCertificate {
  subject?: string;
  notAfter?: string;
  daysLeft?: number;
  error?: string;
  checkedAt?: string;
}

export interface OperatorStatus {
  /** Null when no signer is configured. */
  vendorCertificate: VendorCertificate | null;
  queueDepth: number;
  tenants: number;
  database: string;
}

export interface CreatedApiKey {
  key: string;
  id: string;
  label: string;
  prefix: string;
  createdAt: string;
}

export interface MdmCertView {
  state: MdmCertState;
  topic: string | null;
  notAfter: string | null;
  daysLeft: number | null;
  fingerprint: string | null;
  subject: string | null;
  pendingCsr: string | null;
  pendingRequest: string | null;
  requiredTopic: string | null;
  warnings?: Finding[];
}

export interface MpnsCredentialView {
  serviceName: string;
  appUsage: string;
  subject: string;
  notAfter: string;
  daysLeft: number;
  fingerprint: string;
  report?: { passed: boolean; findings: Finding[]; chain: string[]; root: string | null; issuer: string };
}

export type Platform = 'mdm' | 'apns' | 'mpns';

export interface Device {
  id: string;
  platform: Platform;
  token?: string;
  channelUri?: string;
  pushMagic?: string;
  topic?: string;
  status: 'active' | 'invalid';
  invalidAt: string | null;
  invalidReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DevicePage {
  items: Device[];
  nextCursor: string | null;
  /** The tenant's devices, all of them (not only those matching the filter). */
  total: DeviceCounts;
}

export interface ImportResult {
  imported: number;
  [key: string]: unknown;
}

export interface SentNotification {
  id: string;
  total: number;
  replayed: boolean;
}

export interface NotificationSummary {
  id: string;
  total: number;
  createdAt: string;
  completedAt: string | null;
}

export type Outcome = 'pending' | 'retrying' | 'delivered' | 'invalid' | 'rejected' | 'expired' | 'failed';

export interface DeliveryResult {
  deviceId: string;
  platform: string | null;
  token: string | null;
  state: string;
  attempts: number;
  class: string | null;
  status: number | null;
  reason: string | null;
  updatedAt: string;
  nextAttemptAt: string | null;
}

export interface NotificationReport {
  id: string;
  createdAt: string;
  completedAt: string | null;
  expiresAt: string | null;
  total: number;
  counts: Record<Outcome, number>;
  /** When retention deleted the per-device detail (the counts remain); null while kept. */
  detailExpiredAt: string | null;
  timeline: Array<{ second: number; delivered: number }>;
  results: DeliveryResult[];
  nextCursor: string | null;
}
