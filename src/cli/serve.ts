import type { Command } from 'commander';
import { CONFIG_ENV, DEFAULT_CONFIG, kebab, resolveConfig, type ServiceConfig } from '../config.ts';
import { startService } from '../server/start.ts';

const FLAG_HELP: Partial<Record<keyof ServiceConfig, string>> = {
  host: 'address to listen on',
  port: 'port to listen on',
  dataDir: 'directory for the embedded SQLite database and the master key (created on first start)',
  databaseUrl: 'postgres://… to use PostgreSQL instead of SQLite',
  role: 'api, worker or all: what this process runs',
  signerUrl: 'URL of the vendor signer (certpush signer serve)',
  apnsEndpoint: 'APNs: production, sandbox, or a URL (a simulator)',
  mpnsAllowedHosts: 'comma-separated hosts MPNS channel URIs may use (host:port allows a port)',
  extraCaFile: 'PEM bundle of extra CAs to trust for outbound TLS (simulators, signer)',
  appleRootFile: 'Apple root certificate to verify uploaded push certificate requests against',
  mpnsRootsFile: 'PEM bundle of roots MPNS credentials must chain to',
  mpnsDailyLimit: 'notifications per unauthenticated MPNS subscription per UTC day',
  logLevel: 'log level: fatal, error, warn, info, debug',
  workerBatchSize: 'delivery rows a worker claims at once',
  workerConcurrency: 'claimed batches a worker sends at once',
  leaseMs: 'ms a claimed row stays with its worker (after a crash, rows return after this)',
  maxAttempts: 'optional cap on attempts per delivery (0: none, the retry window decides)',
  retryWindowMs: 'ms a notification without an expiration keeps being retried, from its creation',
  retentionDays: 'days per-device results are kept after a notification completes (0: forever)',
  webhookAllowInsecure: 'allow http:// and private-address webhooks (testing only)',
};

/** `certpush serve`: the HTTP API and the delivery worker. */
export function registerServe(program: Command): void {
  const serve = program.command('serve')
    .description('Run the push service: the HTTP API (and web console) and the delivery worker. Every flag also has a CERTPUSH_* variable.');
  for (const [key, help] of Object.entries(FLAG_HELP) as Array<[keyof ServiceConfig, string]>) {
    const fallback = DEFAULT_CONFIG[key];
    serve.option(`--${kebab(key)} <value>`, `${help} [${CONFIG_ENV[key]}${Array.isArray(fallback) ? `, default ${fallback.join(',')}` : fallback !== '' ? `, default ${fallback}` : ''}]`);
  }
  serve.addHelpText('after', '\nSecrets come only from the environment: CERTPUSH_MASTER_KEY, CERTPUSH_OPERATOR_KEY, CERTPUSH_SIGNER_TOKEN.');
  serve.action(async (flags: Partial<Record<keyof ServiceConfig, string>>) => {
    const config = resolveConfig(flags);
    const service = await startService(config);
    const where = config.databaseUrl ? service.ctx.store.database.location : `${config.dataDir} (SQLite)`;
    process.stderr.write(`certpush ${config.role === 'worker' ? 'worker' : `listening on ${service.url}`} — data: ${where}, role: ${config.role}\n`);
    if (service.url) process.stderr.write(`console: ${service.url}/   API reference: ${service.url}/docs\n`);
    if (service.createdOperatorKey) {
      process.stderr.write(`\nOperator API key (shown once; store it now):\n\n  ${service.createdOperatorKey}\n\nUse it as "Authorization: Bearer <key>". Set CERTPUSH_OPERATOR_KEY to choose your own.\n\n`);
    } else if (config.role !== 'worker' && !config.operatorKey) {
      // A later start shows no key (only its hash is stored): say how to get in anyway.
      process.stderr.write(`operator key: the one printed at this database's first start. Lost it? Start once with CERTPUSH_OPERATOR_KEY=$(openssl rand -base64 32) to add that key as an operator key.\n`);
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.stderr.write(`${signal}: finishing deliveries in flight, then exiting\n`);
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    await service.close();
  });
}
