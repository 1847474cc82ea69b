import { type Command, Option } from 'commander';
import { ApnsClient, type ApnsClientOptions } from '../apns/client.ts';
import type { Notification } from '../apns/notification.ts';
import type { Outcome } from '../apns/outcome.ts';
import { isApnsReason } from '../apns/reasons.ts';
import { type Priority, type PushType, PUSH_TYPES } from '../apns/request-rules.ts';
import { CertpushError } from '../errors.ts';
import { parsePrivateKey } from '../pki/key.ts';
import { EXIT_FOUND_WANTING } from './exit-codes.ts';
import { identityFromFiles } from './identity-files.ts';
import { parseInputFile, readInputFile } from './io.ts';

interface PushApnsOptions {
  token: string[];
  cert?: string;
  key?: string;
  p12?: string;
  passwordFile?: string;
  p8?: string;
  keyId?: string;
  teamId?: string;
  topic?: string;
  pushType?: PushType;
  pushMagic?: string;
  payload?: string;
  priority?: string;
  expiration?: string;
  collapseId?: string;
  endpoint: string;
  port?: string;
  ca?: string;
  timeout: string;
  json?: boolean;
}


function credentialFrom(opts: PushApnsOptions): Pick<ApnsClientOptions, 'certificate' | 'token'> {
  const kinds = [opts.cert !== undefined || opts.key !== undefined, opts.p12 !== undefined, opts.p8 !== undefined].filter(Boolean).length;
  if (kinds !== 1) {
    throw new CertpushError('CLI_APNS_CREDENTIAL', `Give exactly one credential: --cert FILE --key FILE (push certificate), --p12 FILE [--password-file FILE], or --p8 FILE --key-id K --team-id T (token auth)${kinds > 1 ? '; more than one was given' : ''}.`);
  }
  if (opts.p8 !== undefined) {
    if (!opts.keyId || !opts.teamId) throw new CertpushError('CLI_APNS_CREDENTIAL', '--p8 needs --key-id K (the 10 characters in AuthKey_K.p8) and --team-id T (your Apple team ID).');
    return { token: { key: parseInputFile(opts.p8, '--p8', (bytes) => parsePrivateKey(bytes)), keyId: opts.keyId, teamId: opts.teamId } };
  }
  return { certificate: identityFromFiles(opts, { cert: '--cert', key: '--key', usageCode: 'CLI_APNS_CREDENTIAL' }) };
}

function payloadFrom(opts: PushApnsOptions): { payload: string; pushType: PushType } {
  if ((opts.pushMagic === undefined) === (opts.payload === undefined)) {
    throw new CertpushError('CLI_APNS_PAYLOAD', 'Give exactly one of --push-magic M (an MDM push: {"mdm": M}) or --payload JSON (e.g. \'{"aps":{"alert":"Hello"}}\').');
  }
  if (opts.pushMagic !== undefined) return { payload: JSON.stringify({ mdm: opts.pushMagic }), pushType: opts.pushType ?? 'mdm' };
  try {
    const parsed: unknown = JSON.parse(opts.payload!);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
  } catch (error) {
    throw new CertpushError('CLI_APNS_PAYLOAD', `--payload is not a JSON object (${(error as Error).message}). Quote it for the shell: --payload '{"aps":{"alert":"Hello"}}'.`);
  }
  return { payload: opts.payload!, pushType: opts.pushType ?? 'alert' };
}

function integer(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CertpushError('CLI_APNS_NUMBER', `${option} must be a whole number, not "${value}".`);
  return Number(value);
}

/** One line per token: what happened and what to do. */
export function describeOutcome(token: string, outcome: Outcome): string {
  if (outcome.class === 'accepted') return `${token}  accepted  apns-id ${outcome.apnsId}`;
  // Status 0: APNs never answered — Apple's reasons then come from the local checks (not sent).
  const where = isApnsReason(outcome.reason) ? 'checked locally, not sent' : 'no answer from APNs';
  const parts = [token, outcome.class, outcome.status ? `${outcome.status} ${outcome.reason}` : `${outcome.reason} (${where})`];
  if (outcome.timestamp) parts.push(`since ${outcome.timestamp.toISOString()}`);
  if (outcome.retryAfterMs !== undefined) parts.push(`retry after ${(outcome.retryAfterMs / 1000).toFixed(1)} s`);
  if (outcome.detail) parts.push(`— ${outcome.detail}`);
  return parts.join('  ');
}

/** `certpush push apns`: send one notification to each --token. */
export function registerPushApns(push: Command): void {
  push.command('apns')
    .description('Send a notification to one or more device tokens through APNs (or a simulator), with a push certificate (--cert/--key or --p12) or a signing key (--p8). Prints one line per token; exit 0 when all were accepted, 2 when not.')
    .requiredOption('--token <hex>', 'device token, repeatable', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--cert <file>', 'push certificate (PEM; may include its chain)')
    .option('--key <file>', 'its private key (PEM or DER)')
    .option('--p12 <file>', 'push certificate and key as PKCS#12 (.p12/.pfx)')
    .option('--password-file <file>', 'file holding the PKCS#12 password or the key\'s passphrase')
    .option('--p8 <file>', 'token auth: the AuthKey_<KEYID>.p8 signing key')
    .option('--key-id <id>', 'token auth: the key ID')
    .option('--team-id <id>', 'token auth: the team ID')
    .option('--topic <topic>', 'apns-topic (default: the certificate\'s UID, which is the MDM topic)')
    .addOption(new Option('--push-type <type>', 'apns-push-type (default mdm with --push-magic, else alert)').choices([...PUSH_TYPES]))
    .option('--push-magic <magic>', 'send an MDM push: payload {"mdm": MAGIC}')
    .option('--payload <json>', 'the JSON payload, e.g. \'{"aps":{"alert":"Hello"}}\'')
    .addOption(new Option('--priority <n>', 'apns-priority').choices(['10', '5', '1']))
    .option('--expiration <seconds>', 'apns-expiration: UNIX time in seconds; 0 = deliver only if the device is reachable now')
    .option('--collapse-id <id>', 'apns-collapse-id (at most 64 bytes)')
    .option('--endpoint <where>', 'production, sandbox, or an https:// URL (a simulator)', 'production')
    .addOption(new Option('--port <port>', 'APNs port for production/sandbox').choices(['443', '2197']))
    .option('--ca <file>', 'CA certificate(s), PEM, to trust for the server (a simulator\'s server-ca.pem); default: the system\'s')
    .option('--timeout <ms>', 'time for APNs to answer each request', '10000')
    .option('--json', 'print one JSON object per line')
    .action(async (opts: PushApnsOptions) => {
      if (opts.token.length === 0) throw new CertpushError('CLI_APNS_TOKEN', 'Give at least one --token.');
      const { payload, pushType } = payloadFrom(opts);
      const client = new ApnsClient({
        ...credentialFrom(opts),
        endpoint: opts.endpoint,
        port: integer(opts.port, '--port'),
        ca: opts.ca !== undefined ? readInputFile(opts.ca, '--ca') : undefined,
        topic: opts.topic,
        requestTimeoutMs: integer(opts.timeout, '--timeout'),
      });
      const base: Omit<Notification, 'token'> = { payload, pushType };
      if (opts.priority !== undefined) base.priority = Number(opts.priority) as Priority;
      const expiration = integer(opts.expiration, '--expiration');
      if (expiration !== undefined) base.expiration = expiration;
      if (opts.collapseId !== undefined) base.collapseId = opts.collapseId;
      let failed = 0;
      try {
        const outcomes = await Promise.all(opts.token.map((token) => client.send({ ...base, token })));
        outcomes.forEach((outcome, i) => {
          const token = opts.token[i]!;
          if (outcome.class !== 'accepted') failed++;
          process.stdout.write(opts.json ? `${JSON.stringify({ token, ...outcome })}\n` : `${describeOutcome(token, outcome)}\n`);
        });
      } finally {
        await client.close();
      }
      if (failed > 0) process.exitCode = EXIT_FOUND_WANTING;
    });
}
