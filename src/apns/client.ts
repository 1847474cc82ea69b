import type { KeyObject } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import { CertpushError } from '../errors.ts';
import { type Identity, type IdentitySource, identityToTls, loadIdentity } from '../pki/identity.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, DEFAULT_RECONNECT_BACKOFF } from './backoff.ts';
import { type Endpoint, resolveEndpoint } from './endpoints.ts';
import { JwtSigner } from './jwt-signer.ts';
import { mdmNotification, type Notification, prepareNotification } from './notification.ts';
import type { Outcome } from './outcome.ts';
import type { OutcomeClass } from './reasons.ts';
import { type PoolStats, SessionPool } from './session-pool.ts';
import { TRANSPORT_NAMES, type TransportName } from './transport/transport.ts';

/** Token auth: the `.p8` signing key from the developer account. */
export interface TokenCredential {
  /** The AuthKey_<KEYID>.p8 contents (PEM) or a KeyObject. */
  key: string | Uint8Array | KeyObject;
  keyId: string;
  teamId: string;
  /** Age at which a new JWT is made, within APNs' 20–60 minute window. Default 50 minutes. */
  refreshAfterMs?: number;
}

export interface ApnsClientOptions {
  /** Certificate auth: PEM cert + key (key may be encrypted: `passphrase`), a PKCS#12, or a loaded Identity. */
  certificate?: IdentitySource | Identity;
  /** Token auth (not for MDM: APNs takes MDM pushes with the push certificate only). */
  token?: TokenCredential;
  /** `production` (default), `sandbox`, or an https:// URL (a simulator). */
  endpoint?: string;
  /** 443 (default) or 2197, for the named endpoints. */
  port?: number;
  /**
   * CA certificate(s) to trust instead of the system's — only for simulators and test servers.
   * The server's certificate is always verified.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Default `apns-topic`. With a certificate it defaults to the certificate's UID (the MDM topic). */
  topic?: string;
  /**
   * The HTTP/2 implementation: `certpush` (default: certpush's own wire, the faster one) or
   * `node` (node:http2). Same pool, queue, limits and outcomes on both.
   */
  transport?: TransportName;
  /** HTTP/2 connections to open at most. Default 1. */
  maxSessions?: number;
  /** Streams per connection at most (the server's limit applies when lower). Default 1000. */
  maxConcurrentStreams?: number;
  /**
   * Notifications waiting for a stream before `writable` turns false. Default 1,000: enough to
   * refill the streams between two turns of the event loop; a deeper queue only keeps more
   * notifications alive at once (and so longer than a young-generation GC cycle).
   */
  maxQueued?: number;
  /**
   * Resends of a request the server did not process (REFUSED_STREAM, or a GOAWAY with an error
   * code or that let nothing through). Default 5. Handovers past a graceful GOAWAY that let
   * other requests through do not count, up to `maxHandovers`.
   */
  maxResends?: number;
  /** Handovers past graceful GOAWAYs one request may take. Default 100. */
  maxHandovers?: number;
  /**
   * Time for APNs to answer one request, from when it is put on a stream. A response that
   * started but has not ended by then is cancelled (RST_STREAM CANCEL). Default 10 s.
   */
  requestTimeoutMs?: number;
  /** Time a notification may wait in the queue for a stream, from `send`. Default 30 s. */
  queueTimeoutMs?: number;
  /** Time to connect (TCP + TLS + HTTP/2 settings). Default 10 s. */
  connectTimeoutMs?: number;
  /** PING period on a connection. Default 60 s. */
  pingIntervalMs?: number;
  /** A connection whose PING is not answered within this is dead. Default 10 s. */
  pingTimeoutMs?: number;
  /** A connection with no streams for this long is closed. Default 5 minutes. */
  idleTimeoutMs?: number;
  /** Retry delays for `retry` outcomes. */
  backoff?: Partial<BackoffPolicy>;
  /**
   * Delays before a new connection after connections that failed or ended without an answer
   * (exponential with jitter). Default base 100 ms, cap 30 s.
   */
  reconnectBackoff?: Partial<BackoffPolicy>;
  /** Clock (ms since epoch) for token age and timeouts. Default Date.now. */
  now?: () => number;
  /** Random source in [0, 1) for backoff jitter. Default Math.random. */
  random?: () => number;
}

/** Settles a `send` promise: the pool's callback, shared by every send. */
function resolveWith(outcome: Outcome, resolve: (outcome: Outcome) => void): void {
  resolve(outcome);
}

/** Counts from `sendAll`. */
export type SendSummary = Record<OutcomeClass, number> & { total: number };

/**
 * An APNs provider client for one credential (a push certificate or a signing key). Outcomes
 * are values: `send` never throws for what APNs answers, only for programming errors.
 *
 * @example
 * const client = new ApnsClient({ certificate: { cert: fs.readFileSync('push.pem'), key: fs.readFileSync('push.key') } });
 * const outcome = await client.sendMdm(device.token, device.pushMagic);
 * if (outcome.class !== 'accepted') console.log(outcome.reason);
 * await client.close();
 */
export class ApnsClient {
  /** The default topic: the option, or the certificate's UID. */
  readonly topic: string | undefined;
  readonly auth: 'certificate' | 'token';
  readonly endpoint: Endpoint;
  /** The certificate used (certificate auth). */
  readonly identity: Identity | undefined;
  readonly #pool: SessionPool;

  constructor(options: ApnsClientOptions) {
    if ((options.certificate === undefined) === (options.token === undefined)) {
      throw new CertpushError('APNS_CREDENTIAL', 'Give the APNs client exactly one credential: `certificate` (push certificate and key, or PKCS#12) or `token` (.p8 key, key ID, team ID).');
    }
    this.endpoint = resolveEndpoint(options.endpoint, options.port);
    const tls: SecureContextOptions = {};
    if (options.ca !== undefined) tls.ca = options.ca;
    let signer: JwtSigner | undefined;
    if (options.certificate !== undefined) {
      const identity = 'privateKey' in options.certificate ? options.certificate : loadIdentity(options.certificate);
      Object.assign(tls, identityToTls(identity));
      this.identity = identity;
      this.auth = 'certificate';
      this.topic = options.topic ?? identity.certificate.uid ?? undefined;
    } else {
      signer = new JwtSigner({ ...options.token!, now: options.now });
      this.auth = 'token';
      this.topic = options.topic;
    }
    const positive = (name: string, value: number | undefined, fallback: number): number => {
      const v = value ?? fallback;
      if (!Number.isFinite(v) || v <= 0) throw new CertpushError('APNS_OPTION', `APNs client option ${name} must be a positive number (got ${value}).`);
      return v;
    };
    const transport = options.transport ?? 'certpush';
    if (!TRANSPORT_NAMES.includes(transport)) {
      throw new CertpushError('APNS_OPTION', `APNs client option transport must be ${TRANSPORT_NAMES.map((n) => `'${n}'`).join(' or ')} (got ${JSON.stringify(transport)}).`);
    }
    const count = (name: string, value: number | undefined, fallback: number): number => {
      const v = value ?? fallback;
      if (!Number.isInteger(v) || v < 0) throw new CertpushError('APNS_OPTION', `APNs client option ${name} must be a whole number, 0 or more (got ${value}).`);
      return v;
    };
    this.#pool = new SessionPool({
      endpoint: this.endpoint,
      tls,
      transport,
      providerTokens: signer,
      maxSessions: positive('maxSessions', options.maxSessions, 1),
      maxConcurrentStreams: positive('maxConcurrentStreams', options.maxConcurrentStreams, 1000),
      maxQueued: positive('maxQueued', options.maxQueued, 1000),
      maxResends: count('maxResends', options.maxResends, 5),
      maxHandovers: count('maxHandovers', options.maxHandovers, 100),
      requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 10_000),
      queueTimeoutMs: positive('queueTimeoutMs', options.queueTimeoutMs, 30_000),
      connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 10_000),
      pingIntervalMs: positive('pingIntervalMs', options.pingIntervalMs, 60_000),
      pingTimeoutMs: positive('pingTimeoutMs', options.pingTimeoutMs, 10_000),
      idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs, 5 * 60_000),
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      reconnectBackoff: { ...DEFAULT_RECONNECT_BACKOFF, ...options.reconnectBackoff },
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
    });
  }

  /**
   * Send one notification. Checked locally first (a problem is a `rejected`/`invalid` outcome
   * with status 0). Resolves when APNs answers; never rejects for APNs' answers.
   * `attempt` (how often the caller has tried before) sets the backoff of a `retry` outcome.
   *
   * @example const outcome = await client.send({ token, payload: { aps: { alert: 'Hi' } }, topic: 'com.example.app' });
   */
  send(notification: Notification, options: { attempt?: number } = {}): Promise<Outcome> {
    const prepared = prepareNotification(notification, this.topic);
    if ('class' in prepared) return Promise.resolve(prepared);
    const { promise, resolve } = Promise.withResolvers<Outcome>();
    this.#pool.submit(prepared, options.attempt, resolveWith, resolve);
    return promise;
  }

  /**
   * `send` with a callback instead of a promise: `done(outcome, context)` is called once, from a
   * microtask, with the outcome (a local rejection too). For a caller with thousands of sends in
   * flight — the delivery worker — a promise per send is garbage that outlives the young
   * generation. Throws only where `send` throws: the client is closed.
   *
   * @example client.sendWith(notification, 0, (outcome, row) => record(row, outcome), row)
   */
  sendWith<C>(notification: Notification, attempt: number | undefined, done: (outcome: Outcome, context: C) => void, context: C): void {
    const prepared = prepareNotification(notification, this.topic);
    if ('class' in prepared) queueMicrotask(() => done(prepared, context));
    else this.#pool.submit(prepared, attempt, done, context);
  }

  /**
   * The MDM push: `{"mdm": pushMagic}`, push type mdm, topic from the push certificate's UID.
   *
   * @example await client.sendMdm(device.token, device.pushMagic)
   */
  sendMdm(token: string, pushMagic: string): Promise<Outcome> {
    if (this.auth !== 'certificate') {
      throw new CertpushError('APNS_MDM_NEEDS_CERTIFICATE', 'MDM pushes need the MDM push certificate: APNs does not take token auth for MDM. Create the client with `certificate`.');
    }
    if (!this.topic) {
      throw new CertpushError('APNS_MDM_NO_TOPIC', 'The certificate has no UID, so there is no MDM topic. Use the MDM push certificate from Apple\'s Push Certificates Portal, or pass `topic`.');
    }
    return this.send(mdmNotification(token, pushMagic, this.topic));
  }

  /** True while the send queue has room; when false, `await ready()` before sending more. */
  get writable(): boolean {
    return this.#pool.writable;
  }

  /**
   * Resolves when the send queue has room. Await it between sends to keep memory bounded
   * however many notifications you send.
   *
   * @example for (const n of notifications) { await client.ready(); client.send(n).then(record); }
   */
  ready(): Promise<void> {
    return this.#pool.ready();
  }

  /**
   * Send everything from `source` with backpressure (memory stays bounded for any count), calling
   * `onOutcome` for each; resolves with counts per class when all are answered. If `onOutcome`
   * throws, nothing more is taken from `source`, what was sent is waited for, and `sendAll`
   * rejects with that error.
   *
   * @example const summary = await client.sendAll(tokens.map((token) => mdmNotification(token, magic)));
   */
  async sendAll(source: Iterable<Notification> | AsyncIterable<Notification>, onOutcome?: (outcome: Outcome, notification: Notification) => void): Promise<SendSummary> {
    const summary: SendSummary = { total: 0, accepted: 0, invalid: 0, rejected: 0, credential: 0, retry: 0 };
    let pending = 0;
    let allSent = false;
    let callbackError: { error: unknown } | undefined;
    const { promise: done, resolve: finished } = Promise.withResolvers<void>();
    // One callback for every notification: no promise or closure per send.
    const record = (outcome: Outcome, notification: Notification): void => {
      summary[outcome.class]++;
      if (onOutcome !== undefined && callbackError === undefined) {
        try {
          onOutcome(outcome, notification);
        } catch (error) {
          callbackError = { error };
        }
      }
      if (--pending === 0 && allSent) finished();
    };
    const sendOne = (notification: Notification): void => {
      pending++;
      summary.total++;
      const prepared = prepareNotification(notification, this.topic);
      if ('class' in prepared) queueMicrotask(() => record(prepared, notification));
      else this.#pool.submit(prepared, undefined, record, notification);
    };
    if (Symbol.iterator in source) {
      // A plain loop: `for await` would cost a few promise turns per item.
      for (const notification of source) {
        if (callbackError !== undefined) break;
        if (!this.writable) await this.ready();
        sendOne(notification);
      }
    } else {
      for await (const notification of source) {
        if (callbackError !== undefined) break;
        if (!this.writable) await this.ready();
        sendOne(notification);
      }
    }
    allSent = true;
    if (pending === 0) finished();
    await done;
    // onOutcome threw: sending stopped there; what was already sent was waited for.
    if (callbackError !== undefined) throw callbackError.error;
    return summary;
  }

  /** Counters: sent, accepted, failed, resent, queued, in flight, sessions. */
  stats(): PoolStats {
    return this.#pool.stats();
  }

  /**
   * Finish what is queued and in flight, then close every connection (draining ones too) and
   * resolve when they are closed. Sending afterwards throws.
   */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
