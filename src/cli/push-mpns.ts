import { type Command, Option } from 'commander';
import { CertpushError } from '../errors.ts';
import { parseDeliveryInterval } from '../mpns/headers.ts';
import { ChannelUriGuard, DEFAULT_ALLOWED_HOSTS } from '../mpns/channel-uri-guard.ts';
import { formatUtc } from '../mpns/quota.ts';
import type { MpnsResult } from '../mpns/outcome.ts';
import { type MpnsNotification, payloadBody } from '../mpns/payload.ts';
import { MpnsSender } from '../mpns/sender.ts';
import { parseTile } from '../mpns/tile.ts';
import type { Identity } from '../pki/identity.ts';
import { EXIT_FOUND_WANTING } from './exit-codes.ts';
import { hiddenAlias } from './hidden-alias.ts';
import { identityFromFiles } from './identity-files.ts';
import { printJson, readInputFile } from './io.ts';

interface PushMpnsOptions {
  channel: string;
  toastText1?: string;
  toastText2?: string;
  toastParam?: string;
  toastSound?: string;
  toastSilent?: boolean;
  tileJson?: string;
  raw?: string;
  cert?: string;
  key?: string;
  p12?: string;
  passwordFile?: string;
  class: string;
  allowHost: string[];
  ca?: string;
  json?: boolean;
}


function notificationFrom(opts: PushMpnsOptions): MpnsNotification {
  const toast = opts.toastText1 !== undefined;
  const chosen = [toast, opts.tileJson !== undefined, opts.raw !== undefined].filter(Boolean).length;
  if (chosen !== 1) {
    throw new CertpushError('CLI_MPNS_PAYLOAD', `Give exactly one notification: --toast-text1 TEXT (a toast), --tile-json FILE (a tile) or --raw FILE (raw bytes)${chosen > 1 ? '; more than one was given' : ''}.`);
  }
  if (!toast && [opts.toastText2, opts.toastParam, opts.toastSound, opts.toastSilent].some((v) => v !== undefined)) {
    throw new CertpushError('CLI_MPNS_PAYLOAD', '--toast-text2, --toast-param, --toast-sound and --toast-silent belong to a toast: add --toast-text1.');
  }
  if (toast) {
    if (opts.toastSound !== undefined && opts.toastSilent) throw new CertpushError('CLI_MPNS_PAYLOAD', 'Give --toast-sound FILE or --toast-silent, not both.');
    return {
      type: 'toast',
      text1: opts.toastText1!,
      text2: opts.toastText2,
      param: opts.toastParam,
      sound: opts.toastSilent ? { silent: true } : opts.toastSound,
    };
  }
  if (opts.tileJson !== undefined) {
    const text = readInputFile(opts.tileJson, '--tile-json').toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new CertpushError('CLI_MPNS_TILE_JSON', `--tile-json: "${opts.tileJson}" is not valid JSON (${(error as Error).message}). Write an object such as {"template": "FlipTile", "title": "Inbox", "count": 3}.`);
    }
    return parseTile(json);
  }
  return { type: 'raw', data: readInputFile(opts.raw!, '--raw') };
}

function credentialFrom(opts: PushMpnsOptions): Identity | undefined {
  return identityFromFiles(opts, { cert: '--cert', key: '--key', usageCode: 'CLI_MPNS_CREDENTIAL' });
}

function describe(result: MpnsResult, channel: string): string {
  const lines = [`${result.outcome}${result.suppressed ? ' (suppressed)' : ''}: ${result.message}`, `  channel:     ${channel}`, `  message id:  ${result.messageId}`];
  if (result.status !== undefined) {
    const statuses = [result.notificationStatus, result.subscriptionStatus, result.deviceConnectionStatus].filter(Boolean).join(' / ');
    lines.push(`  MPNS:        ${result.status}${statuses ? ` ${statuses}` : ''}`);
  }
  if (result.retryAfterMs !== undefined) lines.push(`  retry after: ${formatUtc(new Date(Date.now() + result.retryAfterMs))} (${Math.ceil(result.retryAfterMs / 60_000)} min)`);
  if (result.quota) lines.push(`  quota:       ${result.quota.used} of ${result.quota.limit} today for this subscription (resets ${formatUtc(new Date(result.quota.resetsAt))}; counted in this process only)`);
  return `${lines.join('\n')}\n`;
}

/** `certpush push mpns`: send one toast, tile or raw notification to a channel URI. */
export function registerPushMpns(push: Command): void {
  const command = push.command('mpns')
    .description('Send one MPNS notification (toast, tile or raw) to a Windows Phone channel URI: authenticated over https:// with a client certificate, or unauthenticated over http://. Exit 0 when delivered, 2 when not.')
    .requiredOption('--channel <uri>', 'the channel URI the app got from HttpNotificationChannel')
    .option('--toast-text1 <text>', 'send a toast with this bold title')
    .option('--toast-text2 <text>', 'toast: the text after the title')
    .option('--toast-param <param>', 'toast: the page (and query) tapping it opens, e.g. /Page.xaml?id=1')
    .option('--toast-sound <path>', 'toast: a sound file of the app package')
    .option('--toast-silent', 'toast: play no sound')
    .option('--tile-json <file>', 'send a tile update described in JSON, e.g. {"template":"FlipTile","title":"Inbox","count":3}; null clears a property')
    .option('--raw <file>', 'send the bytes of this file as a raw notification')
    .option('--cert <file>', 'client certificate (PEM) of the authenticated web service')
    .option('--key <file>', 'its private key (PEM)')
    .option('--p12 <file>', 'client certificate and key as PKCS#12 (.p12/.pfx)')
    .option('--password-file <file>', 'file holding the PKCS#12 password or the key\'s passphrase')
    .addOption(new Option('--class <interval>', 'delivery interval: immediate, 450 or 900 seconds').choices(['immediate', '450', '900']).default('immediate'))
    .option('--allow-host <host>', `host MPNS channel URIs may point at, repeatable; host:port for other ports, e.g. a simulator at 127.0.0.1:8080 (default ${DEFAULT_ALLOWED_HOSTS.join(', ')})`, (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--ca <file>', 'CA certificate(s), PEM, to trust for the push service\'s TLS (a simulator\'s server-ca.pem)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: PushMpnsOptions) => {
      const allowHosts = opts.allowHost.length > 0 ? opts.allowHost : DEFAULT_ALLOWED_HOSTS;
      // Check the URI first: a clear error beats a "rejected" outcome for a typo on the command line.
      new ChannelUriGuard(allowHosts).check(opts.channel);
      const notification = notificationFrom(opts);
      payloadBody(notification); // size and content errors, before connecting
      const sender = new MpnsSender({
        credential: credentialFrom(opts),
        ca: opts.ca !== undefined ? readInputFile(opts.ca, '--ca').toString('utf8') : undefined,
        allowHosts,
      });
      try {
        const result = await sender.send(opts.channel, notification, { interval: parseDeliveryInterval(opts.class) });
        if (opts.json) printJson({ channel: opts.channel, ...result });
        else process.stdout.write(describe(result, opts.channel));
        if (result.outcome !== 'delivered') process.exitCode = EXIT_FOUND_WANTING;
      } finally {
        sender.close();
      }
    });
  hiddenAlias(command, '--pfx <file>', 'p12');
}
