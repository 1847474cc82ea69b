import fs from 'node:fs';
import type { Command } from 'commander';
import path from 'node:path';
import { CONFIG_ENV, resolveConfig, type ServiceConfig } from '../config.ts';
import { CertpushError, isErrorCode } from '../errors.ts';
import { type Finding, FindingsError } from '../pki/finding.ts';
import { generateMdmCsr, getMdmCert, importPushCertificate, type MdmCertView } from '../service/mdm-push-cert.ts';
import type { ServiceContext } from '../service/context.ts';
import { MASTER_KEY_FILE, unlockSecrets } from '../store/master-key.ts';
import { SQLITE_FILE } from '../store/database.ts';
import { openStore } from '../store/store.ts';
import { readSecretFile } from './io.ts';

/** The customer-side MDM operations, whether over HTTP or on the local data directory. */
export interface TenantAccess {
  createCsr(subject: { email?: string; org?: string; country?: string }): Promise<MdmCertView>;
  importCert(upload: { data: Buffer; password?: string; force?: boolean }): Promise<MdmCertView & { warnings?: Array<{ code: string; message: string }> }>;
  status(): Promise<MdmCertView>;
  close(): Promise<void>;
}

export interface AccessOptions {
  tenant: string;
  server?: string;
  apiKeyFile?: string;
  dataDir?: string;
  databaseUrl?: string;
}

/**
 * `--server URL` (with `--api-key-file` or CERTPUSH_API_KEY) talks to a running certpush;
 * otherwise the local data directory is opened directly (the same checks run either way).
 */
export async function openTenantAccess(options: AccessOptions): Promise<TenantAccess> {
  if (options.server) return remoteAccess(options.server, apiKey(options), options.tenant);
  return localAccess(options);
}

/** `--data-dir` and `--database-url`: the store opened directly, as the `mdm` and `tenant` commands take them. */
export function localStoreOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'the existing data directory of certpush serve, opened directly; never created here [CERTPUSH_DATA_DIR]')
    .option('--database-url <url>', 'PostgreSQL instead of the data directory\'s SQLite (the master key from CERTPUSH_MASTER_KEY or --data-dir) [DATABASE_URL]');
}

/** Run `run` with the access `opened` gives, and close it afterwards, whatever happens. */
export async function withAccess<A extends { close(): Promise<void> }, T>(opened: Promise<A>, run: (access: A) => Promise<T>): Promise<T> {
  const access = await opened;
  try {
    return await run(access);
  } finally {
    await access.close();
  }
}

/** The API key for `--server`: `--api-key-file`, else CERTPUSH_API_KEY. */
export function apiKey(options: { apiKeyFile?: string }): string {
  const key = options.apiKeyFile ? readSecretFile(options.apiKeyFile, '--api-key-file') : process.env.CERTPUSH_API_KEY;
  if (!key) throw new CertpushError('CLI_USAGE', 'Talking to a server needs an API key: --api-key-file FILE, or CERTPUSH_API_KEY.');
  return key;
}

/** One JSON call to a running certpush; its problem answers become the same errors a local run throws. */
export type RemoteCall = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** Calls to `server`'s API (paths from /v1 on) with `key`. */
export function remoteCaller(server: string, key: string): RemoteCall {
  const root = server.replace(/\/$/, '');
  return async (method, path, body) => {
    let response: Response;
    try {
      response = await fetch(`${root}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      throw new CertpushError('SERVER_UNREACHABLE', `Cannot reach certpush at ${server} (${(error as Error).cause ?? (error as Error).message}). Check --server and that certpush serve is running.`);
    }
    // 204 (a revocation) has no body.
    const json = await response.json().catch(() => ({})) as Record<string, unknown>;
    if (!response.ok) {
      const code = isErrorCode(json.code) ? json.code : 'SERVER_ERROR';
      const detail = String(json.detail ?? `certpush answered ${response.status}`);
      // A refusal that lists findings is a check found wanting, as it is locally (exit 2).
      throw Array.isArray(json.findings) ? new FindingsError(code, detail, json.findings as Finding[]) : new CertpushError(code, detail);
    }
    return json;
  };
}

function remoteAccess(server: string, key: string, tenant: string): TenantAccess {
  const remote = remoteCaller(server, key);
  const base = `/v1/tenants/${encodeURIComponent(tenant)}/mdm`;
  const call = (method: string, path: string, body?: unknown) => remote(method, `${base}${path}`, body);
  return {
    createCsr: async (subject) => await call('POST', '/csr', subject) as unknown as MdmCertView,
    importCert: async (upload) => await call('PUT', '/push-cert', { ...uploadBody(upload), ...(upload.force ? { force: true } : {}) }) as unknown as MdmCertView,
    status: async () => await call('GET', '/push-cert') as unknown as MdmCertView,
    close: async () => {},
  };
}

/** The API's body for a certificate file: PEM as text, a PKCS#12 (password given) or DER as Base64. */
function uploadBody(upload: { data: Buffer; password?: string }): Record<string, string> {
  if (upload.password !== undefined) return { pkcs12: upload.data.toString('base64'), password: upload.password };
  return { certificate: upload.data.includes('-----BEGIN') ? upload.data.toString('utf8') : upload.data.toString('base64') };
}

/**
 * The local data the command was pointed at, refused when it was not pointed anywhere or the
 * place holds no certpush data: these commands work on a tenant that already exists, so they
 * never create a data directory (a silent ./data with a fresh master key looks like a working
 * setup and holds nothing). `certpush serve` is the command that creates one.
 */
function localConfig(options: Omit<AccessOptions, 'tenant' | 'server' | 'apiKeyFile'>, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const config = resolveConfig({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}) }, env);
  const dataDirGiven = Boolean(options.dataDir ?? env[CONFIG_ENV.dataDir]);
  if (!config.databaseUrl && !dataDirGiven) {
    throw new CertpushError('CLI_NO_DATA_SOURCE', 'Say where certpush keeps its tenants: --server URL (a running certpush, with --api-key-file FILE) or --data-dir DIR (the data directory of certpush serve; or CERTPUSH_DATA_DIR). This command does not create a data directory.');
  }
  if (!config.databaseUrl && !fs.existsSync(path.join(config.dataDir, SQLITE_FILE))) {
    throw new CertpushError('CLI_DATA_DIR_EMPTY', `${options.dataDir ? '--data-dir' : CONFIG_ENV.dataDir} ${config.dataDir}: there is no certpush database here (no ${SQLITE_FILE}). Give the directory certpush serve uses (its --data-dir), or --server URL; this command does not create one.`);
  }
  if (config.databaseUrl && !config.masterKey && !(dataDirGiven && fs.existsSync(path.join(config.dataDir, MASTER_KEY_FILE)))) {
    throw new CertpushError('CLI_NO_MASTER_KEY', 'With --database-url, say where the master key is: set CERTPUSH_MASTER_KEY, or give --data-dir DIR holding the master.key of certpush serve. This command does not create one.');
  }
  return config;
}

/** The service context over the local data (`--data-dir` / `--database-url`), as `certpush serve` would open it. */
export async function openLocalContext(options: Omit<AccessOptions, 'tenant' | 'server' | 'apiKeyFile'>): Promise<ServiceContext> {
  const config = localConfig(options);
  const store = await openStore({ databaseUrl: config.databaseUrl || undefined, dataDir: config.dataDir });
  const secrets = await unlockSecrets(store, config.masterKey, config.dataDir).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  return { store, secrets, config, signer: null, extraCa: [], appleRoot: null, mpnsRoots: [], now: () => new Date() };
}

async function localAccess(options: AccessOptions): Promise<TenantAccess> {
  const ctx = await openLocalContext(options);
  const actor = { kind: 'cli' as const };
  return {
    createCsr: (subject) => generateMdmCsr(ctx, actor, options.tenant, subject),
    importCert: (upload) => importPushCertificate(ctx, actor, options.tenant, upload),
    status: () => getMdmCert(ctx, options.tenant),
    close: () => ctx.store.close(),
  };
}
