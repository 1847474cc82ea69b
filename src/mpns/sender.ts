import crypto from 'node:crypto';
import type { Agent } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import http from '../node-http.ts';
import { CertpushError, isCertpushError } from '../errors.ts';
import type { Certificate } from '../pki/certificate.ts';
import { type Identity, type IdentitySource, identityToTls, loadIdentity } from '../pki/identity.ts';
import { ChannelUriGuard } from './channel-uri-guard.ts';
import { ConcurrencyLimit } from './concurrency-limit.ts';
import { notificationHeaders } from './headers.ts';
import { MemoryQuotaStore } from './memory-quota-store.ts';
import { type MpnsResult, outcomeFromError, outcomeFromResponse } from './outcome.ts';
import { type MpnsNotification, payloadBody } from './payload.ts';
import { type DeliveryInterval, MPNS_HEADERS, UNAUTHENTICATED_DAILY_LIMIT } from './protocol.ts';
import { DailyQuota, formatUtc, type QuotaStore } from './quota.ts';

/** MPNS senders should give up on a request after 15 seconds. */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Keep-alive connections per push host. */
export const DEFAULT_MAX_SOCKETS = 32;
/** Requests in flight at once, across all hosts. */
export const DEFAULT_CONCURRENCY = 256;

/** How an MpnsSender is built: one sender per credential (one web service identity). */
export interface MpnsSenderOptions {
  /**
   * The authenticated web service's TLS client certificate and key (PEM files' contents, or a
   * PKCS#12 bundle): used for `https://` channel URIs. Without it only `http://` channels work.
   */
  credential?: Identity | IdentitySource;
  /**
   * CA certificate(s), PEM, to trust for the push service's TLS certificate instead of Node's
   * built-in roots: the simulator's CA in tests. Verification is never switched off.
   */
  ca?: string | readonly string[];
  /** Hosts channel URIs may point at; default `*.notify.live.net`. See ChannelUriGuard. */
  allowHosts?: readonly string[];
  /** Keep-alive connections per host (default 32). */
  maxSockets?: number;
  /** Requests in flight at once (default 256); further sends wait their turn. */
  concurrency?: number;
  /** Give up on a request after this long (default 15 s). */
  timeoutMs?: number;
  /** Notifications per unauthenticated subscription per UTC day (default 500). */
  dailyLimit?: number;
  /** Where the daily counts live (default: in memory, this process only). */
  quotaStore?: QuotaStore;
  /** The clock (tests). */
  now?: () => Date;
}

/** Per-notification options. */
export interface MpnsSendOptions {
  /** Deliver immediately (default), within 450 s or within 900 s. */
  interval?: DeliveryInterval;
  /** The `X-MessageID`; a random UUID by default. Keep it across retries to match logs. */
  messageId?: string;
  /** 1 for the first try, 2 for the first retry, …: sets the backoff of a `retry` outcome. */
  attempt?: number;
  /** Not sent once this has passed: the outcome is `expired`. */
  expiresAt?: Date;
}

/**
 * Sends MPNS notifications for one web service: authenticated over HTTPS with its client
 * certificate, or unauthenticated over HTTP within the daily limit. Connections are kept
 * alive and pooled (per host, bounded), requests are bounded in number and time, and every
 * send resolves to an MpnsResult — it never rejects for an outcome.
 *
 * @example
 * const sender = new MpnsSender({ credential: { cert, key } });
 * const result = await sender.send(channelUri, { type: 'toast', text1: 'Hello' });
 * if (result.outcome === 'invalid') forget(channelUri);
 * sender.close();
 */
export class MpnsSender {
  /** The Service Name of the credential (its CN), or null for an unauthenticated sender. */
  readonly serviceName: string | null;
  readonly #certificate: Certificate | null;
  readonly #guard: ChannelUriGuard;
  readonly #limit: ConcurrencyLimit;
  readonly #quota: DailyQuota;
  readonly #timeoutMs: number;
  /** HTTPS handshakes in a row the server ended without a word (see send). */
  #handshakeRefusals = 0;
  readonly #now: () => Date;
  readonly #httpAgent: Agent;
  readonly #httpsAgent: https.Agent;

  constructor(options: MpnsSenderOptions = {}) {
    const identity = options.credential ? ('privateKey' in options.credential ? options.credential : loadIdentity(options.credential)) : null;
    if (identity && !identity.certificate.extendedKeyUsage.includes('clientAuth')) {
      throw new CertpushError('MPNS_NO_CLIENT_AUTH', `The certificate "${identity.certificate.subject.text}" does not allow client authentication (extended key usage: ${identity.certificate.extendedKeyUsage.join(', ') || 'none'}), so MPNS would refuse it. Use the web service's clientAuth certificate; check it with "certpush mpns check-cert".`);
    }
    this.#certificate = identity?.certificate ?? null;
    this.serviceName = identity?.certificate.commonName ?? null;
    this.#guard = new ChannelUriGuard(options.allowHosts);
    this.#limit = new ConcurrencyLimit(positive(options.concurrency, DEFAULT_CONCURRENCY, 'concurrency'));
    this.#quota = new DailyQuota(options.quotaStore ?? new MemoryQuotaStore(), options.dailyLimit ?? UNAUTHENTICATED_DAILY_LIMIT);
    this.#timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.#now = options.now ?? (() => new Date());
    const maxSockets = positive(options.maxSockets, DEFAULT_MAX_SOCKETS, 'maxSockets');
    this.#httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.#httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets,
      // One secure context for every connection: the key and certificates are parsed once,
      // and the agent's per-request pool key stays short (it would otherwise concatenate
      // the PEM text of cert, key and ca for every request).
      secureContext: tls.createSecureContext({
        ...(identity ? identityToTls(identity) : {}),
        ...(options.ca ? { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] } : {}),
      }),
    });
  }

  /**
   * Send one notification to one channel URI. Once its turn comes (at most `concurrency` at a
   * time), local checks run first and cost no request: the channel URI guard and payload
   * checks (`rejected`), `expiresAt` (`expired`), the credential (`credential`) and, for
   * `http://` channels, the daily quota (`retry`, reason QuotaExhausted, "quota exhausted
   * until <time> UTC"). Resolves to the outcome; rejects only if a custom QuotaStore fails.
   */
  send(channelUri: string, notification: MpnsNotification, options: MpnsSendOptions = {}): Promise<MpnsResult> {
    // Everything happens inside the slot: a burst of sends then waits as the caller's own
    // arguments, not as parsed URLs, bodies and headers held for each queued notification.
    return this.#limit.run(() => this.#send(channelUri, notification, options));
  }

  async #send(channelUri: string, notification: MpnsNotification, options: MpnsSendOptions): Promise<MpnsResult> {
    const messageId = options.messageId ?? crypto.randomUUID();
    let url: URL;
    let body: Buffer;
    try {
      url = this.#guard.check(channelUri);
    } catch (error) {
      if (!isCertpushError(error)) throw error;
      return { outcome: 'rejected', reason: 'ChannelUriRefused', code: error.code, message: error.message, messageId, suppressed: false };
    }
    try {
      body = payloadBody(notification);
    } catch (error) {
      if (!isCertpushError(error)) throw error;
      return { outcome: 'rejected', reason: 'InvalidPayload', code: error.code, message: error.message, messageId, suppressed: false };
    }
    const now = this.#now();
    if (options.expiresAt && now > options.expiresAt) {
      return { outcome: 'expired', reason: 'Expired', message: `The notification expired at ${options.expiresAt.toISOString()} before it could be sent.`, messageId, suppressed: false };
    }
    const authenticated = url.protocol === 'https:';
    if (authenticated && !this.#certificate) {
      return { outcome: 'credential', reason: 'NoClientCertificate', message: 'The channel URI is https:// (an authenticated web service), but this sender has no client certificate. Give the sender the web service\'s certificate and key (CLI: --cert/--key or --p12).', messageId, suppressed: false };
    }
    if (authenticated && now > this.#certificate!.notAfter) {
      return { outcome: 'credential', reason: 'CertificateExpired', message: `The client certificate "${this.serviceName}" expired on ${this.#certificate!.notAfter.toISOString()}; MPNS will refuse it. Renew it, upload the new one to Dev Center, and configure it here.`, messageId, suppressed: false };
    }
    if (authenticated && now < this.#certificate!.notBefore) {
      return { outcome: 'credential', reason: 'CertificateNotYetValid', message: `The client certificate "${this.serviceName}" is not valid until ${this.#certificate!.notBefore.toISOString()}; MPNS will refuse it until then. Check the system clock, or wait.`, messageId, suppressed: false };
    }
    let quota: MpnsResult['quota'];
    if (!authenticated) {
      // A subscription is its channel URI; authenticated channels have no daily limit.
      const decision = await this.#quota.take(url.href, now);
      quota = { used: decision.used, limit: decision.limit, resetsAt: decision.resetsAt.toISOString() };
      if (!decision.allowed) {
        return {
          outcome: 'retry', reason: 'QuotaExhausted', retryAfterMs: decision.resetsAt.getTime() - now.getTime(), quota, messageId, suppressed: false,
          message: `quota exhausted until ${formatUtc(decision.resetsAt)}: this unauthenticated subscription has had its ${decision.limit} notifications today (MPNS allows ${decision.limit} per subscription per UTC day over HTTP), so certpush did not send it. Retry after the reset, or send authenticated (https:// channel with a client certificate), which has no limit.`,
        };
      }
    }
    const headers = notificationHeaders(notification.type, { interval: options.interval, messageId, contentLength: body.length });
    let result = await this.#post(url, headers, body, { messageId, attempt: options.attempt });
    if (url.protocol === 'https:') result = this.#judgeHandshake(result);
    if (quota) {
      result.quota = quota;
      if (result.status === 406) await this.#quota.exhaust(url.href, now);
    }
    return result;
  }

  #post(url: URL, headers: Record<string, string>, body: Buffer, context: { messageId: string; attempt?: number }): Promise<MpnsResult> {
    return new Promise((resolve) => {
      let settled = false;
      let timedOut = false;
      const authenticated = url.protocol === 'https:';
      const request = (authenticated ? https : http).request({
        // WHATWG URLs keep IPv6 hosts in brackets; Node's request wants them bare.
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port || (authenticated ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        agent: authenticated ? this.#httpsAgent : this.#httpAgent,
      });
      const finish = (result: MpnsResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy(new Error(`no response within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      request.on('response', (response) => {
        const result = outcomeFromResponse(response.statusCode ?? 0, {
          notificationStatus: header(response.headers[MPNS_HEADERS.notificationStatus]),
          subscriptionStatus: header(response.headers[MPNS_HEADERS.subscriptionStatus]),
          deviceConnectionStatus: header(response.headers[MPNS_HEADERS.deviceConnectionStatus]),
        }, context);
        // MPNS answers in headers. The body (empty in practice) is drained, and the send
        // completes once it ends, when the connection is back in the pool for the next one.
        response.on('end', () => finish(result));
        response.on('close', () => finish(result));
        response.on('error', () => finish(result));
        response.resume();
      });
      request.on('error', (error) => finish(outcomeFromError(error, { ...context, timedOut })));
      request.end(body);
    });
  }

  /**
   * Under TLS 1.2 (MPNS), a server that refuses our client certificate may just close the
   * connection during the handshake: from here that looks like a reset. One is a retry (networks
   * drop connections); HANDSHAKE_REFUSALS in a row with no answer between them is the server
   * refusing the certificate — a credential failure that pauses the tenant's MPNS sending
   * rather than a connection failure retried until the window closes.
   */
  #judgeHandshake(result: MpnsResult): MpnsResult {
    if (result.status !== undefined) {
      this.#handshakeRefusals = 0;
      return result;
    }
    if (result.reason !== 'ConnectionFailed' || !/during the TLS handshake/.test(result.message)) return result;
    if (++this.#handshakeRefusals < HANDSHAKE_REFUSALS) return result;
    return {
      messageId: result.messageId, suppressed: false, outcome: 'credential', reason: 'ClientCertificateRejected',
      message: `The push service ended the TLS handshake ${this.#handshakeRefusals} times in a row after certpush presented the client certificate "${this.serviceName}": it refuses the certificate. Use one that chains to an allowed Windows Phone root, has clientAuth and is registered on Dev Center; check it with "certpush mpns check-cert".`,
    };
  }

  /** Close the pooled connections. Sends after close open new ones. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

/** Handshakes ended in a row before a refusal is taken for what it is. */
const HANDSHAKE_REFUSALS = 3;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new CertpushError('MPNS_SENDER_OPTION', `The sender's ${name} must be a whole number of at least 1; it is ${value}.`);
  return value;
}
