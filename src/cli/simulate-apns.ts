import crypto from 'node:crypto';
import type { Command } from 'commander';
import { isApnsReason } from '../apns/reasons.ts';
import { CertpushError } from '../errors.ts';
import type { ApnsFaults } from '../simulators/apns/faults.ts';
import { type DeviceState, startApnsSimulator } from '../simulators/apns.ts';
import { readTestPki } from '../simulators/test-pki.ts';
import { parseInputFile, readInputFile } from './io.ts';

interface SimulateApnsOptions {
  port: string;
  host: string;
  pki?: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa: string[];
  clientAuth: boolean;
  tokenKey?: string;
  keyId?: string;
  teamId?: string;
  environment: 'production' | 'development';
  device: string[];
  tooManyRequests?: string;
  internalError?: string;
  unavailable?: string;
  goawayAfter?: string;
  resetAfter?: string;
  slow?: string;
  dropStreamLimit?: boolean;
  seed?: string;
  logCapacity: string;
}

const STATES = ['unregistered', 'expired', 'not-for-topic', 'bad', 'throttled'];

function deviceFrom(spec: string): [string, DeviceState] {
  const at = spec.indexOf('=');
  const token = spec.slice(0, at);
  const state = spec.slice(at + 1);
  if (at <= 0 || !(STATES.includes(state) || isApnsReason(state))) {
    throw new CertpushError('CLI_APNS_DEVICE', `--device "${spec}": write TOKEN=STATE, with STATE one of ${STATES.join(', ')} or an APNs reason such as Forbidden.`);
  }
  // A token copied from an example ("abab…ab") would never match a real request: say so now
  // rather than let every push to it be accepted while the user waits for the state.
  if (!/^(?:[0-9a-fA-F]{2}){8,100}$/.test(token)) {
    throw new CertpushError('CLI_APNS_DEVICE', `--device "${spec}": "${token}" is not a device token. Write the whole token in hex (64 hex digits for today's devices), e.g. --device ${'ab'.repeat(32)}=${state}.`);
  }
  return [token.toLowerCase(), STATES.includes(state) ? state as DeviceState : { reason: state as never }];
}

function share(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new CertpushError('CLI_APNS_SHARE', `${option} is a share between 0 and 1 (e.g. 0.05 for 5%), not "${value}".`);
  return n;
}

function count(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CertpushError('CLI_APNS_NUMBER', `${option} must be a whole number, not "${value}".`);
  return Number(value);
}

/** `certpush simulate apns`: run the APNs simulator until SIGINT/SIGTERM. */
export function registerSimulateApns(simulate: Command): void {
  simulate.command('apns')
    .description('Run an APNs simulator (HTTP/2 over TLS, Apple\'s provider API) until Ctrl-C. Prints its URL on stdout; status at GET /_sim/status and /_sim/log?token=T.')
    .option('--port <port>', 'port to listen on (0: any free port)', '2197')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--pki <dir>', 'test PKI directory (certpush simulate pki): its server.pem/.key for TLS, apple-root.pem + push-ca.pem for client certificates')
    .option('--tls-cert <file>', 'server certificate (PEM), instead of --pki')
    .option('--tls-key <file>', 'server private key (PEM), instead of --pki')
    .option('--client-ca <file>', 'CA certificate(s) for client certificates, repeatable (instead of --pki)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--no-client-auth', 'no authentication at all (for load tools that cannot present a certificate, like h2load)')
    .option('--token-key <file>', 'token auth: a .p8 signing key (or its public key) to accept')
    .option('--key-id <id>', 'token auth: its key ID')
    .option('--team-id <id>', 'token auth: its team ID')
    .option('--environment <env>', 'production or development: certificates and keys for the other get 403', 'production')
    .option('--device <token=state>', 'device state, repeatable: unregistered, expired, not-for-topic, bad, throttled, or any APNs reason', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--too-many-requests <share>', 'answer this share of requests 429 TooManyRequests')
    .option('--internal-error <share>', 'answer this share 500 InternalServerError')
    .option('--unavailable <share>', 'answer this share 503 ServiceUnavailable')
    .option('--goaway-after <n>', 'send GOAWAY after n streams on each connection')
    .option('--reset-after <n>', 'drop each connection at its n-th stream')
    .option('--slow <ms>', 'delay every answer by ms')
    .option('--drop-stream-limit', 'after a rejection, lower the connection\'s stream limit to 1 for a while (as APNs does)')
    .option('--seed <n>', 'seed for the fault shares')
    .option('--log-capacity <n>', 'deliveries kept for /_sim/log', '100000')
    .action(async (opts: SimulateApnsOptions) => {
      let tls: { cert: string | Buffer; key: string | Buffer };
      let clientCa: Array<string | Buffer> = opts.clientCa.map((file) => readInputFile(file, '--client-ca'));
      if (opts.pki !== undefined) {
        const pki = readTestPki(opts.pki);
        tls = pki.server;
        if (clientCa.length === 0) clientCa = [pki.appleRoot.cert, pki.pushCa.cert];
      } else if (opts.tlsCert !== undefined && opts.tlsKey !== undefined) {
        tls = { cert: readInputFile(opts.tlsCert, '--tls-cert'), key: readInputFile(opts.tlsKey, '--tls-key') };
      } else {
        throw new CertpushError('CLI_APNS_SIM_TLS', 'The simulator needs a TLS identity: --pki DIR (from "certpush simulate pki --out DIR"), or --tls-cert FILE --tls-key FILE [--client-ca FILE].');
      }
      if (opts.environment !== 'production' && opts.environment !== 'development') {
        throw new CertpushError('CLI_APNS_ENVIRONMENT', `--environment is production or development, not "${opts.environment}".`);
      }
      let tokenKeys;
      if (opts.tokenKey !== undefined) {
        if (!opts.keyId || !opts.teamId) throw new CertpushError('CLI_APNS_CREDENTIAL', '--token-key needs --key-id and --team-id.');
        const publicKey = parseInputFile(opts.tokenKey, '--token-key', (text) => {
          try {
            return crypto.createPublicKey(text);
          } catch (error) {
            throw new CertpushError('KEY_UNPARSABLE', `The file is not a .p8 signing key or its public key (${(error as Error).message}). Give the AuthKey_<KEYID>.p8 from Apple's developer portal.`, { cause: error });
          }
        });
        tokenKeys = [{ keyId: opts.keyId, teamId: opts.teamId, publicKey }];
      }
      const faults: ApnsFaults = {
        tooManyRequests: share(opts.tooManyRequests, '--too-many-requests'),
        internalServerError: share(opts.internalError, '--internal-error'),
        serviceUnavailable: share(opts.unavailable, '--unavailable'),
        goawayAfterStreams: count(opts.goawayAfter, '--goaway-after'),
        resetAfterStreams: count(opts.resetAfter, '--reset-after'),
        slowResponseMs: count(opts.slow, '--slow'),
        dropStreamLimitOnRejection: opts.dropStreamLimit,
        seed: count(opts.seed, '--seed'),
      };
      const sim = await startApnsSimulator({
        tls,
        clientCa: clientCa.length > 0 ? clientCa : undefined,
        clientAuth: opts.clientAuth && (clientCa.length > 0 || tokenKeys !== undefined),
        tokenKeys,
        environment: opts.environment,
        host: opts.host,
        port: count(opts.port, '--port'),
        devices: Object.fromEntries(opts.device.map(deviceFrom)),
        faults,
        logCapacity: count(opts.logCapacity, '--log-capacity'),
      });
      process.stdout.write(`${sim.url}\n`);
      process.stderr.write(`APNs simulator (${opts.environment}) listening on ${sim.url}; status: ${sim.url}/_sim/status, log: ${sim.url}/_sim/log?token=TOKEN. Ctrl-C stops it.\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      const stats = sim.stats();
      await sim.close();
      process.stderr.write(`APNs simulator stopped: ${stats.accepted} accepted, ${Object.values(stats.rejected).reduce((a, b) => a + (b ?? 0), 0)} rejected, ${stats.connections} connections.\n`);
    });
}
