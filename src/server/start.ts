import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { ServiceConfig } from '../config.ts';
import { type BackgroundOptions, BackgroundTasks } from '../delivery/background.ts';
import { createMetrics, type Metrics } from '../delivery/metrics.ts';
import { DeliveryWorker, type DeliveryEvent } from '../delivery/worker.ts';
import { emitWebhookEvent } from '../service/webhooks.ts';
import { CertpushError } from '../errors.ts';
import { type Certificate, daysLeft, parseCertificate, parseCertificates } from '../pki/certificate.ts';
import type { ServiceContext } from '../service/context.ts';
import { createSignerClient } from '../signer/client.ts';
import { hashApiKey } from '../store/api-keys.ts';
import { unlockSecrets } from '../store/master-key.ts';
import { openStore, type Store } from '../store/store.ts';

export interface RunningService {
  config: ServiceConfig;
  ctx: ServiceContext;
  app: FastifyInstance | null;
  worker: DeliveryWorker | null;
  background: BackgroundTasks | null;
  metrics: Metrics;
  /** http://host:port when the API listens. */
  url: string | null;
  /** The operator key, when this start created it (print it once). */
  createdOperatorKey: string | null;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: boolean | { level: string };
  /** Deliveries of this process's worker, for metrics and webhooks. */
  onEvent?: (event: DeliveryEvent) => void;
  /** Where the worker logs; default: JSON lines on stderr at warn and error. */
  log?: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;
  /** Fine-tune the worker (tests use short polls). */
  worker?: { pollMs?: number; batchSize?: number; leaseMs?: number; maxAttempts?: number; retryWindowMs?: number; retryDelayScale?: number };
  /** Fine-tune the periodic chores (tests check expiry often). */
  background?: BackgroundOptions;
  /** Hooks or routes on the API before it is ready (tests check every response against /openapi.json). */
  extendApp?: (app: FastifyInstance) => void;
}

/**
 * Start certpush: open (and migrate) the database, unlock secrets with the master key, make
 * sure an operator key exists, then run the API and/or the delivery worker per `config.role`.
 */
export async function startService(config: ServiceConfig, options: StartOptions = {}): Promise<RunningService> {
  const store = await openStore({ databaseUrl: config.databaseUrl || undefined, dataDir: config.dataDir });
  let worker: DeliveryWorker | null = null;
  let background: BackgroundTasks | null = null;
  let app: FastifyInstance | null = null;
  try {
    const secrets = await unlockSecrets(store, config.masterKey, config.dataDir);
    const createdOperatorKey = await ensureOperatorKey(store, config.operatorKey);

    const log = options.log ?? stderrLog;
    const ctx: ServiceContext = {
      store,
      secrets,
      config,
      signer: config.signerUrl ? createSignerClient({ url: config.signerUrl, token: config.signerToken, ca: readPemFile(config.extraCaFile) }) : null,
      extraCa: config.extraCaFile ? parseCertificates(readFileFor(config.extraCaFile, 'extra CA file (CERTPUSH_EXTRA_CA_FILE)')) : [],
      appleRoot: config.appleRootFile ? parseCertificate(readFileFor(config.appleRootFile, 'Apple root (CERTPUSH_APPLE_ROOT_FILE)')) : null,
      mpnsRoots: config.mpnsRootsFile ? parseCertificates(readFileFor(config.mpnsRootsFile, 'MPNS roots (CERTPUSH_MPNS_ROOTS_FILE)')) : [] as Certificate[],
      now: () => new Date(),
      onCredentialChange: (tenantId) => {
        worker?.credentialChanged(tenantId);
        // A paused tenant's rows may be sendable again: wake workers in other processes too.
        void store.queue.notify().catch(() => {});
      },
    };

    const metrics = createMetrics({
      queueDepth: () => store.deliveries.backlog(),
      openClients: () => worker?.senders.open ?? 0,
      openSessions: () => worker?.senders.sessions ?? 0,
      credentialDays: async () => {
        const now = ctx.now();
        const days = [
          ...(await store.mdmCerts.list()).filter((r) => r.certPem).map((r) => ({ kind: 'mdm' as const, days: daysLeft(parseCertificate(r.certPem!), now) })),
          ...(await store.mpnsCredentials.list()).map((r) => ({ kind: 'mpns' as const, days: daysLeft(parseCertificate(r.certPem), now) })),
        ];
        if (background?.vendor?.daysLeft !== undefined) days.push({ kind: 'vendor' as never, days: background.vendor.daysLeft });
        return days;
      },
    });
    // Worker events feed metrics, the caller, and the tenants' webhooks.
    const onEvent = (event: DeliveryEvent) => {
      metrics.observe(event);
      options.onEvent?.(event);
      const hook = webhookFor(event);
      if (hook) void emitWebhookEvent(ctx, event.tenantId, hook.name, hook.data).catch((error: Error) => log('error', 'queueing a webhook event failed', { error: error.message }));
    };

    if (config.role !== 'api') {
      background = new BackgroundTasks(ctx, log);
      background.start(options.background);
      worker = new DeliveryWorker(ctx, {
        workerId: `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`,
        pollMs: options.worker?.pollMs,
        batchSize: options.worker?.batchSize ?? config.workerBatchSize,
        concurrentBatches: config.workerConcurrency,
        leaseMs: options.worker?.leaseMs ?? config.leaseMs,
        retry: { maxAttempts: options.worker?.maxAttempts ?? config.maxAttempts, windowMs: options.worker?.retryWindowMs ?? config.retryWindowMs },
        retryDelayScale: options.worker?.retryDelayScale,
        onEvent,
        log,
      });
      worker.start();
    }

    let url: string | null = null;
    if (config.role !== 'worker') {
      // The API's modules (Fastify, the routes, their schemas) load only where the API runs: a
      // --role worker process starts ~8 MB smaller (README: Design, "A service's memory").
      const [{ buildApp }, { operatorRoutes }] = await Promise.all([import('./app.ts'), import('./routes/operator.ts')]);
      app = await buildApp(ctx, {
        logger: options.logger ?? { level: config.logLevel },
        extend: (instance) => {
          instance.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
          // In an api-only process, ask the signer directly (the worker processes watch it hourly).
          operatorRoutes(instance, ctx, async () => background?.vendor ?? (await new BackgroundTasks(ctx, log).refreshVendor()));
          options.extendApp?.(instance);
        },
      });
      const address = await listen(app, config);
      url = address.replace('[::1]', 'localhost').replace('0.0.0.0', '127.0.0.1');
    }
    return {
      config, ctx, app, worker, background, metrics, url, createdOperatorKey,
      async close() {
        await app?.close();
        await worker?.stop();
        await background?.stop();
        await store.close();
      },
    };
  } catch (error) {
    // Whatever started before the failure stops with it: a worker left polling a closed store
    // would log "driver has already been destroyed" every second and keep the process alive.
    await app?.close().catch(() => {});
    await worker?.stop().catch(() => {});
    await background?.stop().catch(() => {});
    await store.close().catch(() => {});
    throw error;
  }
}

/** Listen, turning a busy or forbidden port into one clear error (`serve` prints it and exits 1). */
async function listen(app: FastifyInstance, config: ServiceConfig): Promise<string> {
  try {
    return await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CertpushError('PORT_IN_USE', `Port ${config.port} on ${config.host} is already in use by another process. Stop it, or choose another port with --port (CERTPUSH_PORT).`);
    if (code === 'EACCES') throw new CertpushError('PORT_FORBIDDEN', `This user may not listen on port ${config.port} on ${config.host}. Choose a port above 1023 with --port (CERTPUSH_PORT).`);
    if (code === 'EADDRNOTAVAIL') throw new CertpushError('HOST_UNAVAILABLE', `${config.host} is not an address of this machine. Choose another with --host (CERTPUSH_HOST).`);
    throw error;
  }
}

/** Which worker events tenants hear about through their webhook. */
function webhookFor(event: DeliveryEvent): { name: 'device.invalidated' | 'notification.completed' | 'tenant.paused'; data: Record<string, unknown> } | null {
  switch (event.type) {
    case 'devices.invalidated': return { name: 'device.invalidated', data: { devices: event.devices } };
    case 'notification.completed': return { name: 'notification.completed', data: { notificationId: event.notificationId } };
    case 'tenant.paused': return { name: 'tenant.paused', data: { reason: event.reason } };
    default: return null;
  }
}

function stderrLog(level: 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown> = {}): void {
  if (level === 'info') return;
  process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg: message, ...detail })}\n`);
}


/** Install CERTPUSH_OPERATOR_KEY, or create an operator key when none exists; returns a created key. */
async function ensureOperatorKey(store: Store, configured: string): Promise<string | null> {
  if (configured) {
    if (!/^[\x21-\x7e]{32,}$/.test(configured)) throw new CertpushError('OPERATOR_KEY_WEAK', 'CERTPUSH_OPERATOR_KEY must be at least 32 printable characters; generate one with: openssl rand -base64 32');
    if (!(await store.apiKeys.findByHash(hashApiKey(configured)))) await store.apiKeys.install(configured, null, 'operator (CERTPUSH_OPERATOR_KEY)');
    return null;
  }
  if ((await store.apiKeys.countOperatorKeys()) > 0) return null;
  return (await store.apiKeys.create(null, 'operator (first start)')).key;
}

function readFileFor(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch {
    throw new CertpushError('CONFIG_FILE', `Cannot read the ${what} at ${path}. Check the path.`);
  }
}

function readPemFile(path: string): string | undefined {
  return path ? readFileFor(path, 'extra CA file (CERTPUSH_EXTRA_CA_FILE)').toString('utf8') : undefined;
}
