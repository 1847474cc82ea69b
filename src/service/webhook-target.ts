import dns from 'node:dns/promises';
import net from 'node:net';
import { CertpushError, isCertpushError } from '../errors.ts';

/** Addresses a webhook may never reach: the host itself, private networks, cloud metadata. */
const FORBIDDEN = new net.BlockList();
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked against the IPv4 rules by BlockList itself.
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Check a webhook URL's form when a tenant registers it. */
export function checkWebhookUrl(text: string, options: { allowInsecure: boolean }): URL {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) throw new CertpushError('WEBHOOK_URL_INVALID', `The webhook URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CertpushError('WEBHOOK_URL_INVALID', `"${text.slice(0, 80)}" is not an absolute URL. Give https://your-host/path.`);
  }
  if (url.protocol !== 'https:' && !(options.allowInsecure && url.protocol === 'http:')) {
    throw new CertpushError('WEBHOOK_URL_INVALID', 'Webhook URLs must use https:// (events are signed, but their content should not cross networks in the clear).');
  }
  if (url.username || url.password) throw new CertpushError('WEBHOOK_URL_INVALID', 'Webhook URLs must not carry a user name or password; certpush signs each call (Certpush-Signature) instead.');
  return url;
}

/** Whether certpush may call this address: not the host itself, a private network or metadata. */
export function isPublicAddress(address: string, family: number): boolean {
  return !FORBIDDEN.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Resolve the webhook's host now and refuse private, loopback and link-local addresses (unless
 * allowed for tests): a tenant's URL must not make certpush call its own network. The request
 * then goes to the address checked here, so DNS cannot change its answer in between. Errors
 * never name the resolved address: that would tell a tenant how internal names resolve.
 */
export async function resolveWebhookAddress(url: URL, options: { allowInsecure: boolean; timeoutMs?: number }): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: Array<{ address: string; family: number }>;
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<never>((_, reject) => {
      if (options.timeoutMs) timer = setTimeout(() => reject(new CertpushError('WEBHOOK_HOST_UNRESOLVED', `The webhook host ${host} did not resolve within ${options.timeoutMs! / 1000} s.`)), options.timeoutMs);
    });
    addresses = net.isIP(host) ? [{ address: host, family: net.isIP(host) }] : await Promise.race([dns.lookup(host, { all: true }), late]);
  } catch (error) {
    if (isCertpushError(error)) throw error;
    addresses = [];
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) throw new CertpushError('WEBHOOK_HOST_UNRESOLVED', `The webhook host ${host} does not resolve.`);
  if (!options.allowInsecure && addresses.some((a) => !isPublicAddress(a.address, a.family))) {
    throw new CertpushError('WEBHOOK_ADDRESS_FORBIDDEN', 'refused: not a public address (certpush calls webhooks only at public addresses)');
  }
  return addresses[0]!;
}
