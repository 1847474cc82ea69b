import { CertpushError } from '../errors.ts';
import { MAX_CHANNEL_URI_LENGTH, MPNS_HOST_PATTERN } from './protocol.ts';

// Channel URIs come from devices, so they are untrusted input that makes certpush open a
// connection (DESIGN.md, "Outbound safety"). Only allow-listed push hosts on ports 80/443
// are ever contacted; anything else (127.0.0.1, 169.254.169.254, file:, user@host…) is
// refused before a socket is opened.

/** The default allow list: real MPNS hosts only. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = [MPNS_HOST_PATTERN];

const STANDARD_PORTS: ReadonlySet<number> = new Set([80, 443]);

interface AllowEntry {
  text: string;
  /** Exact host, or the suffix (with its leading dot) for `*.` entries. */
  host: string;
  wildcard: boolean;
  ports: ReadonlySet<number>;
}

function parseEntry(text: string): AllowEntry {
  const bad = (why: string) => new CertpushError('MPNS_ALLOW_HOST', `Allow-list entry "${text}" ${why}. Write a host ("push.example.net"), a wildcard ("*.notify.live.net") or a host with a port ("127.0.0.1:8080").`);
  let host = text.trim().toLowerCase();
  let ports = STANDARD_PORTS;
  const port = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(host);
  if (port) {
    const number = Number(port[2]);
    if (!Number.isInteger(number) || number < 1 || number > 65535) throw bad('has a port outside 1–65535');
    host = port[1]!;
    ports = new Set([number]);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '' || /[/\\@?#\s]/.test(host) || (host.includes(':') && !host.startsWith('['))) throw bad('is not a host name');
  if (host.startsWith('*')) {
    // A wildcard needs at least two labels after it: "*" or "*.net" would let devices point
    // certpush at almost anything.
    if (!/^\*\.[^.*]+\.[^*]+$/.test(host)) throw bad('is too broad: a wildcard must be "*." followed by a domain of two or more labels');
    return { text, host: host.slice(1), wildcard: true, ports };
  }
  if (host.includes('*')) throw bad('may have "*" only as its first label');
  return { text, host, wildcard: false, ports };
}

function shorten(uri: string): string {
  return uri.length > 80 ? `${uri.slice(0, 77)}...` : uri;
}

/**
 * Checks channel URIs against an allow list, compiled once.
 *
 * Entries: `*.notify.live.net` matches any subdomain on ports 80/443; `push.example.net` that
 * host on 80/443; `127.0.0.1:8080` that host on that port only. Allowing a simulator, and any
 * port other than 80/443, therefore always takes an explicit entry. IP addresses match only
 * literally, never through a wildcard.
 *
 * @example new ChannelUriGuard(['*.notify.live.net', '127.0.0.1:8080']).check(uri)
 */
export class ChannelUriGuard {
  readonly allowHosts: readonly string[];
  readonly #entries: readonly AllowEntry[];

  constructor(allowHosts: readonly string[] = DEFAULT_ALLOWED_HOSTS) {
    this.allowHosts = [...allowHosts];
    this.#entries = allowHosts.map(parseEntry);
  }

  /**
   * The parsed URL when `uri` may be sent to; otherwise throws a CertpushError
   * (MPNS_CHANNEL_URI_*) that says what is wrong with it.
   */
  check(uri: string): URL {
    if (typeof uri !== 'string' || uri.length === 0) {
      throw new CertpushError('MPNS_CHANNEL_URI_MALFORMED', 'The channel URI is empty. Pass the URI the app received from HttpNotificationChannel.ChannelUri.');
    }
    if (uri.length > MAX_CHANNEL_URI_LENGTH) {
      throw new CertpushError('MPNS_CHANNEL_URI_TOO_LONG', `The channel URI is ${uri.length} characters; MPNS channel URIs are at most ${MAX_CHANNEL_URI_LENGTH}. It is not a channel URI the phone received; refusing it.`);
    }
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new CertpushError('MPNS_CHANNEL_URI_MALFORMED', `The channel URI "${shorten(uri)}" is not a valid absolute URL. Pass the URI the app received from HttpNotificationChannel.ChannelUri.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CertpushError('MPNS_CHANNEL_URI_SCHEME', `The channel URI uses "${url.protocol}"; only http: (unauthenticated) and https: (authenticated) channel URIs are sent to.`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new CertpushError('MPNS_CHANNEL_URI_USERINFO', `The channel URI "${shorten(uri.replace(/\/\/[^@/]*@/, '//…@'))}" carries a user name or password; MPNS channel URIs never do. Refusing it.`);
    }
    const host = url.hostname.endsWith('.') ? url.hostname.slice(0, -1) : url.hostname;
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    const hostMatches = this.#entries.filter((e) => (e.wildcard ? host.endsWith(e.host) && host.length > e.host.length : host === e.host));
    if (hostMatches.length === 0) {
      throw new CertpushError('MPNS_CHANNEL_URI_HOST', `The channel URI's host "${host}" is not on the allow list (${this.allowHosts.join(', ') || 'empty'}). certpush contacts only push-service hosts, so that a device cannot make it call internal addresses. If this is a simulator or push service you trust, allow it explicitly: --allow-host ${url.host} (library: allowHosts).`);
    }
    if (!hostMatches.some((e) => e.ports.has(port))) {
      throw new CertpushError('MPNS_CHANNEL_URI_PORT', `The channel URI's port ${port} is not allowed for "${host}": only 80 and 443 are, unless an allow-list entry names the port (e.g. "${host}:${port}").`);
    }
    return url;
  }
}

/** Check one channel URI against `allowHosts` (default `*.notify.live.net`); see ChannelUriGuard. */
export function checkChannelUri(uri: string, allowHosts: readonly string[] = DEFAULT_ALLOWED_HOSTS): URL {
  return new ChannelUriGuard(allowHosts).check(uri);
}
