import crypto, { type KeyObject } from 'node:crypto';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseCertificateDer } from '../pki/certificate.ts';
import { APPLE_REASON_STATUS, type AppleReason } from './apns/apple-reasons.ts';
import { DEVICE_PATH as DEVICE_PATH_PREFIX, isTopic } from './apns/apple-request-rules.ts';
import { type Delivery, DeliveryLog } from './apns/delivery-log.ts';
import { type ApnsFaults, pickShareFault, seededRandom } from './apns/faults.ts';
import { PROVIDER_TOKEN_LIFETIME_S, type RegisteredKey, verifyProviderToken } from './apns/provider-token.ts';
import { checkRequest, hasDuplicateHeaders } from './apns/request-check.ts';

export type { ApnsFaults } from './apns/faults.ts';
export type { Delivery } from './apns/delivery-log.ts';
export type { RegisteredKey } from './apns/provider-token.ts';
export type { AppleReason } from './apns/apple-reasons.ts';

// The simulator judges requests by its own reading of Apple's tables (./apns/apple-*.ts), never
// by the client's rules: it is the client's referee, so the two must be able to disagree.
type ApnsReason = AppleReason;

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_NO_ERROR } = http2.constants;

/** What the simulator does with a device token. */
export type DeviceState =
  | 'unregistered' // 410 Unregistered, with the time it became invalid
  | 'expired' // 410 ExpiredToken
  | 'not-for-topic' // 400 DeviceTokenNotForTopic
  | 'bad' // 400 BadDeviceToken
  | 'throttled' // 429 TooManyRequests
  | { reason: ApnsReason }; // any answer from Apple's table

export interface ApnsSimulatorOptions {
  /** The server's TLS identity (PEM). */
  tls: { cert: string | Buffer; key: string | Buffer };
  /**
   * CA certificate(s) for client certificates (certificate auth), e.g. the test PKI's Apple root
   * and push CA. Given: clients are asked for a certificate, and one that does not chain here
   * gets 403 BadCertificate.
   */
  clientCa?: string | Buffer | Array<string | Buffer>;
  /** Signing keys for token auth. */
  tokenKeys?: RegisteredKey[];
  /** false: no client authentication at all (for h2load, which cannot present a certificate). Default true. */
  clientAuth?: boolean;
  /** Which APNs this pretends to be: certificates and keys for the other get 403. Default production. */
  environment?: 'production' | 'development';
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS. Default 1000 (as APNs). */
  maxConcurrentStreams?: number;
  /** Device tokens with a state; all others are valid. */
  devices?: Record<string, DeviceState>;
  faults?: ApnsFaults;
  /** Deliveries kept in the log (the count is always kept). Default 100,000. */
  logCapacity?: number;
  /** Close connections idle this long with GOAWAY `{"reason":"IdleTimeout"}`. Default: never. */
  idleTimeoutMs?: number;
  /** Clock, ms since the epoch (provider-token age). Default Date.now. */
  now?: () => number;
}

/** Counters since start. */
export interface ApnsSimulatorStats {
  accepted: number;
  /** Answers other than 200, by reason. */
  rejected: Partial<Record<ApnsReason, number>>;
  connections: number;
  openConnections: number;
  streams: number;
  /** Streams refused with REFUSED_STREAM after a GOAWAY. */
  refused: number;
  goaways: number;
  resets: number;
  streamLimitDrops: number;
}

/** A running simulator. */
export interface ApnsSimulator {
  /** `https://host:port`: the client's endpoint. */
  url: string;
  host: string;
  port: number;
  log: DeliveryLog;
  stats(): ApnsSimulatorStats;
  /** `timestamp`: what a 410 for it says (when the token stopped being valid); default the time of each answer. */
  setDevice(token: string, state: DeviceState | null, timestamp?: Date): void;
  setFaults(faults: ApnsFaults): void;
  /** Make every provider token issued before this second count as expired (APNs: ExpiredProviderToken). */
  expireProviderTokens(): void;
  close(): Promise<void>;
}

interface SessionState {
  streams: number;
  /** Client certificate, judged once per connection. */
  certificate: { authorized: boolean; topic: string | null; environments: string[] } | null | undefined;
  /** Team of the first provider token on this connection (APNs: UnrelatedKeyIdInToken). */
  teamId: string | undefined;
  /** iat of the provider token in use (APNs: TooManyProviderTokenUpdates). */
  tokenIat: number | undefined;
  tokens: Map<string, ReturnType<typeof verifyProviderToken>>;
  goawayLastStreamId: number;
  limited: boolean;
  acceptedSinceDrop: number;
}

/** APNs: a provider token may change at most every 20 minutes on a connection. */
const MIN_TOKEN_UPDATE_S = 20 * 60;
const SIM_PREFIX = '/_sim/';

/**
 * Start an APNs simulator: HTTP/2 over TLS speaking Apple's provider API, with certificate and
 * token auth, Apple's validation and reasons, device states, fault injection, and a log of what
 * it accepted (in process, and at `GET /_sim/status` and `GET /_sim/log?token=…` on the same port).
 *
 * @example
 * const sim = await startApnsSimulator({ tls: pki.server, clientCa: [pki.appleRoot.cert, pki.pushCa.cert] });
 * const client = new ApnsClient({ endpoint: sim.url, ca: pki.serverCa.cert, certificate: { cert, key } });
 * await client.sendMdm(token, magic); sim.log.forToken(token).length // 1
 */
export async function startApnsSimulator(options: ApnsSimulatorOptions): Promise<ApnsSimulator> {
  const environment = options.environment ?? 'production';
  const clientAuth = options.clientAuth ?? true;
  const now = options.now ?? Date.now;
  const maxStreams = options.maxConcurrentStreams ?? 1000;
  const log = new DeliveryLog(options.logCapacity ?? 100_000);
  let faults: ApnsFaults = { ...options.faults };
  let random = seededRandom(faults.seed ?? 1);
  let expiredBefore = -Infinity;
  // A device's 410 timestamp: the one given, else the time of the answer ("invalid as of now").
  const devices = new Map<string, { state: DeviceState; timestamp: number | undefined }>();
  for (const [token, state] of Object.entries(options.devices ?? {})) devices.set(token.toLowerCase(), { state, timestamp: undefined });
  const keys = new Map<string, { key: RegisteredKey; publicKey: KeyObject }>();
  for (const key of options.tokenKeys ?? []) {
    const publicKey = typeof key.publicKey === 'string' ? crypto.createPublicKey(key.publicKey) : key.publicKey.type === 'private' ? crypto.createPublicKey(key.publicKey) : key.publicKey;
    keys.set(key.keyId, { key, publicKey });
  }
  const stats: ApnsSimulatorStats = { accepted: 0, rejected: {}, connections: 0, openConnections: 0, streams: 0, refused: 0, goaways: 0, resets: 0, streamLimitDrops: 0 };
  const sessions = new WeakMap<http2.Http2Session, SessionState>();
  const sockets = new Map<string, TLSSocket>();

  const server = http2.createSecureServer({
    cert: options.tls.cert,
    key: options.tls.key,
    allowHTTP1: false,
    settings: { maxConcurrentStreams: maxStreams },
    maxSessionMemory: 64,
    // Dropping the stream limit refuses streams; that is the test, not an attack.
    maxSessionRejectedStreams: 1_000_000,
    ...(clientAuth && options.clientCa !== undefined ? {
      ca: options.clientCa,
      requestCert: true,
      // APNs asks for a client certificate but does not require one (token-auth clients send
      // none), and answers a bad one with 403 BadCertificate. So the handshake lets every client
      // in and each request is judged by socket.authorized — Node's verification against `ca`.
      rejectUnauthorized: false,
    } : {}),
  });

  server.on('secureConnection', (socket: TLSSocket) => {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    sockets.set(key, socket);
    socket.on('close', () => sockets.delete(key));
  });
  server.on('session', (session) => {
    stats.connections++;
    stats.openConnections++;
    sessions.set(session, { streams: 0, certificate: undefined, teamId: undefined, tokenIat: undefined, tokens: new Map(), goawayLastStreamId: -1, limited: false, acceptedSinceDrop: 0 });
    session.on('close', () => { stats.openConnections--; });
    session.on('error', () => { /* a client went away; nothing to do */ });
    if (options.idleTimeoutMs) {
      session.setTimeout(options.idleTimeoutMs, () => {
        stats.goaways++;
        session.goaway(NGHTTP2_NO_ERROR, sessions.get(session)?.streams ? undefined : 0, Buffer.from(JSON.stringify({ reason: 'IdleTimeout' })));
        session.close();
      });
    }
  });
  server.on('sessionError', () => { /* as above */ });

  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    stream.on('error', () => { /* the client reset or went away */ });
    const session = stream.session;
    const state = session && sessions.get(session);
    if (!session || !state) {
      // The connection is already closing (after a GOAWAY): not processed.
      stats.refused++;
      stream.close(NGHTTP2_REFUSED_STREAM);
      return;
    }
    const path = headers[':path'] ?? '';
    if (path.startsWith(SIM_PREFIX)) return serveStatus(stream, path);
    stats.streams++;
    const ordinal = ++state.streams;
    if (state.goawayLastStreamId >= 0 && stream.id! > state.goawayLastStreamId) {
      // APNs: after GOAWAY, streams above its last stream id are not processed.
      stats.refused++;
      stream.close(NGHTTP2_REFUSED_STREAM);
      return;
    }
    // At or past: faults set on a running simulator apply to connections that already carried
    // more streams than the threshold, too (their next stream is the one that is dropped).
    if (faults.resetAfterStreams && ordinal >= faults.resetAfterStreams) {
      stats.resets++;
      const socket = sockets.get(`${session.socket.remoteAddress}:${session.socket.remotePort}`);
      if (socket) socket.destroy();
      else session.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const slow = faults.slowResponseMs && random() < (faults.slowShare ?? 1) ? faults.slowResponseMs : 0;
      if (slow) setTimeout(() => handle(stream, headers, rawHeaders, body, state), slow);
      else handle(stream, headers, rawHeaders, body, state);
    });
    if (faults.goawayAfterStreams && ordinal === faults.goawayAfterStreams) {
      stats.goaways++;
      state.goawayLastStreamId = stream.id!;
      session.goaway(NGHTTP2_NO_ERROR, stream.id!, Buffer.from(JSON.stringify({ reason: faults.goawayReason ?? 'Shutdown' })));
      session.close();
    }
  });

  function handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[], body: Buffer, state: SessionState): void {
    if (stream.destroyed || stream.closed) return;
    const outcome = judge(stream, headers, rawHeaders, body, state);
    if (typeof outcome === 'string') return reject(stream, outcome, headers, state);
    const apnsId = (headers['apns-id'] as string | undefined) ?? crypto.randomUUID();
    stats.accepted++;
    log.record(() => outcome(apnsId));
    const responseHeaders: http2.OutgoingHttpHeaders = { ':status': 200, 'apns-id': apnsId };
    // APNs: apns-unique-id comes back in the development environment only.
    if (environment === 'development') responseHeaders['apns-unique-id'] = crypto.randomUUID();
    stream.respond(responseHeaders, { endStream: true });
    if (state.limited && ++state.acceptedSinceDrop >= (faults.restoreAfterAccepted ?? 20)) {
      state.limited = false;
      stream.session?.settings({ maxConcurrentStreams: maxStreams });
    }
  }

  /** An accepted request, as the log entry to make for it. */
  type Accepted = (apnsId: string) => Delivery;

  function judge(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[], body: Buffer, state: SessionState): ApnsReason | Accepted {
    if (headers[':method'] !== 'POST') return 'MethodNotAllowed';
    const path = headers[':path'] ?? '';
    if (!path.startsWith(DEVICE_PATH_PREFIX)) return 'BadPath';
    const token = path.slice(DEVICE_PATH_PREFIX.length);
    if (token === '') return 'MissingDeviceToken';
    if (token.includes('/') || token.includes('?')) return 'BadPath';
    if (hasDuplicateHeaders(rawHeaders)) return 'DuplicateHeaders';
    let topic = headers['apns-topic'] as string | undefined;
    if (clientAuth) {
      const authorization = headers.authorization;
      if (authorization !== undefined) {
        const reason = checkProviderToken(authorization, state);
        if (typeof reason === 'string') return reason;
        if (topic === undefined) return 'MissingTopic';
        if (!isTopic(topic)) return 'BadTopic';
        if (reason.topics && !reason.topics.includes(topic)) return 'TopicDisallowed';
      } else {
        const certificate = peerCertificate(stream, state);
        if (!certificate) return 'MissingProviderToken';
        if (!certificate.authorized) return 'BadCertificate';
        if (certificate.environments.length > 0 && !certificate.environments.includes(environment)) return 'BadCertificateEnvironment';
        // APNs: without apns-topic, a certificate's own topic (its subject UID) is used.
        topic ??= certificate.topic ?? undefined;
        if (topic === undefined) return 'MissingTopic';
        if (!isTopic(topic)) return 'BadTopic';
        if (topic !== certificate.topic) return 'TopicDisallowed';
      }
    }
    const invalid = checkRequest(headers, token, body);
    if (invalid) return invalid;
    const device = devices.get(token.toLowerCase());
    if (device) {
      const state = device.state;
      if (state === 'unregistered') return 'Unregistered';
      if (state === 'expired') return 'ExpiredToken';
      if (state === 'not-for-topic') return 'DeviceTokenNotForTopic';
      if (state === 'bad') return 'BadDeviceToken';
      if (state === 'throttled') return 'TooManyRequests';
      return state.reason;
    }
    const fault = pickShareFault(faults, random);
    if (fault) return fault;
    const finalTopic = topic ?? '';
    return (apnsId) => ({
      apnsId,
      token,
      topic: finalTopic,
      pushType: headers['apns-push-type'] as string | undefined,
      priority: headers['apns-priority'] as string | undefined,
      expiration: headers['apns-expiration'] as string | undefined,
      collapseId: headers['apns-collapse-id'] as string | undefined,
      payload: body.toString('utf8'),
      receivedAt: now(),
    });
  }

  function checkProviderToken(authorization: string, state: SessionState): ApnsReason | { topics: string[] | undefined } {
    const match = /^bearer\s+(\S+)$/i.exec(authorization);
    if (!match) return 'MissingProviderToken';
    const jwt = match[1]!;
    let verified = state.tokens.get(jwt);
    if (verified === undefined) {
      verified = verifyProviderToken(jwt, keys);
      if (state.tokens.size > 16) state.tokens.clear();
      state.tokens.set(jwt, verified);
    }
    if (typeof verified === 'string') return verified;
    const allowed = verified.key.environments;
    if (allowed && !allowed.includes(environment)) return 'BadEnvironmentKeyIdInToken';
    if (state.teamId === undefined) state.teamId = verified.teamId;
    else if (state.teamId !== verified.teamId) return 'UnrelatedKeyIdInToken';
    const nowS = now() / 1000;
    if (verified.iat < expiredBefore || nowS - verified.iat > PROVIDER_TOKEN_LIFETIME_S) return 'ExpiredProviderToken';
    if (state.tokenIat !== undefined && verified.iat !== state.tokenIat) {
      if (Math.abs(verified.iat - state.tokenIat) < MIN_TOKEN_UPDATE_S) return 'TooManyProviderTokenUpdates';
    }
    state.tokenIat = verified.iat;
    return { topics: verified.key.topics };
  }

  function peerCertificate(stream: http2.ServerHttp2Stream, state: SessionState): SessionState['certificate'] {
    if (state.certificate !== undefined) return state.certificate;
    const socket = stream.session!.socket as TLSSocket;
    const x509 = socket.getPeerX509Certificate?.();
    if (!x509) {
      state.certificate = null;
      return null;
    }
    let topic: string | null = null;
    let environments: string[] = [];
    try {
      const parsed = parseCertificateDer(x509.raw);
      topic = parsed.uid;
      environments = parsed.apnsEnvironments;
    } catch { /* unreadable: judged by `authorized` alone */ }
    state.certificate = { authorized: socket.authorized === true, topic, environments };
    return state.certificate;
  }

  function reject(stream: http2.ServerHttp2Stream, reason: ApnsReason, headers: http2.IncomingHttpHeaders, state: SessionState): void {
    stats.rejected[reason] = (stats.rejected[reason] ?? 0) + 1;
    const status = APPLE_REASON_STATUS[reason];
    const body: { reason: string; timestamp?: number } = { reason };
    // APNs: a 410 carries the time (ms) the token stopped being valid for the topic.
    if (status === 410) {
      const token = (headers[':path'] ?? '').slice(DEVICE_PATH_PREFIX.length).toLowerCase();
      body.timestamp = devices.get(token)?.timestamp ?? now();
    }
    respondJson(stream, status, body, state);
  }

  function respondJson(stream: http2.ServerHttp2Stream, status: number, body: object, state: SessionState): void {
    const text = JSON.stringify(body);
    stream.respond({ ':status': status, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    stream.end(text);
    if (status !== 200 && faults.dropStreamLimitOnRejection && !state.limited) {
      state.limited = true;
      state.acceptedSinceDrop = 0;
      stats.streamLimitDrops++;
      stream.session?.settings({ maxConcurrentStreams: 1 });
    }
  }

  function serveStatus(stream: http2.ServerHttp2Stream, path: string): void {
    const url = new URL(path, 'https://simulator');
    let body: unknown;
    if (url.pathname === '/_sim/status') body = { ...stats, logged: log.count, environment, clientAuth };
    else if (url.pathname === '/_sim/log') {
      const token = url.searchParams.get('token');
      body = { count: log.count, deliveries: token ? log.forToken(token) : log.entries() };
    } else {
      stream.respond({ ':status': 404, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ reason: 'BadPath' }));
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(JSON.stringify(body));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.address;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `https://${urlHost}:${address.port}`,
    host,
    port: address.port,
    log,
    stats: () => ({ ...stats, rejected: { ...stats.rejected } }),
    setDevice(token, state, timestamp) {
      if (state === null) devices.delete(token.toLowerCase());
      else devices.set(token.toLowerCase(), { state, timestamp: timestamp?.getTime() });
    },
    setFaults(next) {
      faults = { ...next };
      random = seededRandom(faults.seed ?? 1);
    },
    expireProviderTokens() {
      expiredBefore = Math.floor(now() / 1000);
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets.values()) socket.destroy();
      });
    },
  };
}
