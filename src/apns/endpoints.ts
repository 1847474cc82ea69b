import net from 'node:net';
import { CertpushError } from '../errors.ts';

/** APNs: the provider API hosts. */
export const APNS_HOSTS = {
  production: 'api.push.apple.com',
  sandbox: 'api.sandbox.push.apple.com',
} as const;

/** APNs: port 443, or 2197 where outbound 443 is blocked. */
export const APNS_PORTS = [443, 2197] as const;

/** Where a client connects: host and port, and what goes in `:authority` and SNI. */
export interface Endpoint {
  host: string;
  port: number;
  /** `host[:port]`, the request's `:authority`. */
  authority: string;
  /** TLS server name (SNI); undefined for IP addresses, which SNI does not carry. */
  servername: string | undefined;
  /** `https://authority`, for messages. */
  url: string;
}

/**
 * Resolve `production`, `sandbox` (alias `development`) or an `https://host[:port]` URL (a
 * simulator) to an endpoint. `port` applies to the named endpoints: 443 (default) or 2197.
 *
 * @example resolveEndpoint('sandbox').host // 'api.sandbox.push.apple.com'
 * @example resolveEndpoint('https://127.0.0.1:8443').port // 8443
 */
export function resolveEndpoint(endpoint: string = 'production', port?: number): Endpoint {
  let host: string;
  let chosenPort: number;
  if (endpoint === 'production' || endpoint === 'sandbox' || endpoint === 'development') {
    host = APNS_HOSTS[endpoint === 'production' ? 'production' : 'sandbox'];
    chosenPort = port ?? 443;
    if (!(APNS_PORTS as readonly number[]).includes(chosenPort)) {
      throw new CertpushError('APNS_BAD_PORT', `APNs listens on port 443 or 2197, not ${chosenPort}. Use one of those (2197 where outbound 443 is blocked).`);
    }
  } else {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new CertpushError('APNS_BAD_ENDPOINT', `"${endpoint}" is not an APNs endpoint: use "production", "sandbox" or an https:// URL such as https://127.0.0.1:2197 (a simulator).`);
    }
    if (url.protocol !== 'https:') {
      throw new CertpushError('APNS_BAD_ENDPOINT', `APNs endpoints are HTTPS (HTTP/2 over TLS); "${endpoint}" is ${url.protocol}. Use an https:// URL.`);
    }
    if (url.pathname !== '/' || url.search || url.hash) {
      throw new CertpushError('APNS_BAD_ENDPOINT', `The endpoint URL "${endpoint}" must not have a path; give only https://host[:port].`);
    }
    host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    chosenPort = port ?? (url.port ? Number(url.port) : 443);
  }
  const bracketed = net.isIPv6(host) ? `[${host}]` : host;
  const authority = chosenPort === 443 ? bracketed : `${bracketed}:${chosenPort}`;
  return { host, port: chosenPort, authority, servername: net.isIP(host) ? undefined : host, url: `https://${authority}` };
}
