import path from 'node:path';
import { CertpushError } from './errors.ts';

/** What `certpush serve` runs with. Every field has a flag and a CERTPUSH_* variable. */
export interface ServiceConfig {
  host: string;
  port: number;
  /** Embedded SQLite file and master key live here. */
  dataDir: string;
  /** `postgres://…` switches storage to PostgreSQL; empty means SQLite in dataDir. */
  databaseUrl: string;
  role: 'api' | 'worker' | 'all';
  /** The vendor signer (certpush signer serve); empty: tenants upload offline-signed requests. */
  signerUrl: string;
  signerToken: string;
  /** APNs endpoint: production, sandbox, or a URL (simulators). */
  apnsEndpoint: string;
  /**
   * Hosts MPNS channel URIs may point at (`*.notify.live.net` by default); an entry
   * "host:port" also allows that port besides 80/443 (simulators).
   */
  mpnsAllowedHosts: string[];
  /** PEM bundle file of extra CAs trusted for outbound TLS (simulators, an internal signer). */
  extraCaFile: string;
  /** Apple's root certificate (PEM or DER) to verify uploaded push certificate requests against. */
  appleRootFile: string;
  /** PEM bundle of the roots an MPNS credential must chain to ("SSL root certificates for Windows Phone OS 7.1"). */
  mpnsRootsFile: string;
  /** Let webhooks use http:// and private addresses (tests and simulators only). */
  webhookAllowInsecure: boolean;
  /** Daily limit for unauthenticated MPNS subscriptions. */
  mpnsDailyLimit: number;
  /** Operator API key to install (automation); otherwise one is generated and printed once. */
  operatorKey: string;
  /** Delivery rows a worker claims at once. */
  workerBatchSize: number;
  /** Claimed batches a worker sends at once. In-flight rows (batch × this) bound duplicates after a crash. */
  workerConcurrency: number;
  /** How long a claimed row is the worker's; after a crash its rows are due again after this. */
  leaseMs: number;
  /** Optional cap on a delivery's attempts; 0 (default): no cap, the retry window decides. */
  maxAttempts: number;
  /**
   * Days a notification's per-device results are kept after it completes; then they are folded
   * into its counts and deleted (README: Retention). 0 keeps them forever. Fractions allowed.
   */
  retentionDays: number;
  /** How long a notification without an expiration is retried, from its creation (ms). Default 24 h. */
  retryWindowMs: number;
  /** Master key for secrets at rest (base64 or hex, 32 bytes); otherwise a 0600 file in dataDir. */
  masterKey: string;
  logLevel: string;
}

/** Environment variable for each setting. */
export const CONFIG_ENV: Record<keyof ServiceConfig, string> = {
  host: 'CERTPUSH_HOST',
  port: 'CERTPUSH_PORT',
  dataDir: 'CERTPUSH_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  role: 'CERTPUSH_ROLE',
  signerUrl: 'CERTPUSH_SIGNER_URL',
  signerToken: 'CERTPUSH_SIGNER_TOKEN',
  apnsEndpoint: 'CERTPUSH_APNS_ENDPOINT',
  mpnsAllowedHosts: 'CERTPUSH_MPNS_ALLOWED_HOSTS',
  extraCaFile: 'CERTPUSH_EXTRA_CA_FILE',
  appleRootFile: 'CERTPUSH_APPLE_ROOT_FILE',
  mpnsRootsFile: 'CERTPUSH_MPNS_ROOTS_FILE',
  mpnsDailyLimit: 'CERTPUSH_MPNS_DAILY_LIMIT',
  webhookAllowInsecure: 'CERTPUSH_WEBHOOK_ALLOW_INSECURE',
  operatorKey: 'CERTPUSH_OPERATOR_KEY',
  workerBatchSize: 'CERTPUSH_WORKER_BATCH_SIZE',
  workerConcurrency: 'CERTPUSH_WORKER_CONCURRENCY',
  leaseMs: 'CERTPUSH_LEASE_MS',
  maxAttempts: 'CERTPUSH_MAX_ATTEMPTS',
  retentionDays: 'CERTPUSH_RETENTION_DAYS',
  retryWindowMs: 'CERTPUSH_RETRY_WINDOW_MS',
  masterKey: 'CERTPUSH_MASTER_KEY',
  logLevel: 'CERTPUSH_LOG_LEVEL',
};

export const DEFAULT_CONFIG: ServiceConfig = {
  host: '0.0.0.0',
  port: 8080,
  dataDir: './data',
  databaseUrl: '',
  role: 'all',
  signerUrl: '',
  signerToken: '',
  apnsEndpoint: 'production',
  mpnsAllowedHosts: ['*.notify.live.net'],
  extraCaFile: '',
  appleRootFile: '',
  mpnsRootsFile: '',
  mpnsDailyLimit: 500,
  webhookAllowInsecure: false,
  operatorKey: '',
  workerBatchSize: 1000,
  workerConcurrency: 2,
  leaseMs: 60_000,
  maxAttempts: 0,
  retryWindowMs: 24 * 3600_000,
  retentionDays: 7,
  masterKey: '',
  logLevel: 'info',
};

/**
 * Resolve the configuration: flags win over environment variables, which win over defaults.
 * `flags` holds only what was given on the command line.
 */
export function resolveConfig(flags: Partial<Record<keyof ServiceConfig, string>>, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const raw = (key: keyof ServiceConfig): string | undefined => flags[key] ?? env[CONFIG_ENV[key]] ?? (key === 'databaseUrl' ? env.CERTPUSH_DATABASE_URL : undefined);
  const config: ServiceConfig = { ...DEFAULT_CONFIG };
  for (const key of Object.keys(DEFAULT_CONFIG) as Array<keyof ServiceConfig>) {
    const value = raw(key);
    if (value === undefined || value === '') continue;
    (config as unknown as Record<string, unknown>)[key] = parseValue(key, value);
  }
  config.dataDir = path.resolve(config.dataDir);
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new CertpushError('CONFIG_DATABASE_URL', `Database URL "${config.databaseUrl}" is not supported: use postgres://user@host:port/db, or leave it empty for the embedded SQLite database.`);
  }
  return config;
}

function parseValue(key: keyof ServiceConfig, value: string): unknown {
  switch (key) {
    case 'port':
    case 'mpnsDailyLimit':
    case 'workerBatchSize':
    case 'workerConcurrency':
    case 'leaseMs':
    case 'maxAttempts':
    case 'retryWindowMs': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || (key === 'port' && n > 65535) || (key !== 'port' && key !== 'mpnsDailyLimit' && key !== 'maxAttempts' && n < 1)) {
        throw new CertpushError('CONFIG_INVALID', `${key} must be a whole number (${CONFIG_ENV[key]} or --${kebab(key)}), got "${value}".`);
      }
      return n;
    }
    case 'retentionDays': {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || n > 36_500) {
        throw new CertpushError('CONFIG_INVALID', `retentionDays must be a number of days from 0 (keep forever) to 36500 (${CONFIG_ENV[key]} or --${kebab(key)}), got "${value}"; e.g. 7 or 0.5.`);
      }
      return n;
    }
    case 'role':
      if (value !== 'api' && value !== 'worker' && value !== 'all') {
        throw new CertpushError('CONFIG_INVALID', `role must be api, worker or all, got "${value}".`);
      }
      return value;
    case 'webhookAllowInsecure':
      if (!['true', 'false', '1', '0'].includes(value)) throw new CertpushError('CONFIG_INVALID', `${CONFIG_ENV[key]} must be true or false, got "${value}".`);
      return value === 'true' || value === '1';
    case 'mpnsAllowedHosts':
      return value.split(',').map((h) => h.trim()).filter(Boolean);
    default:
      return value;
  }
}

/** camelCase setting → its --kebab-case flag name. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
