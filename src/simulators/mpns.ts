import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import http from '../node-http.ts';
import { CHANNEL_PATHS, MAX_PAYLOAD_BYTES, MPNS_HEADERS, UNAUTHENTICATED_DAILY_LIMIT } from '../mpns/protocol.ts';
import { type CheckedNotification, checkNotificationRequest } from './mpns/request-check.ts';
import { MPNS_RESPONSES, type MpnsResponse, type MpnsResponseName } from './mpns/responses.ts';
import { type InjectedFault, Subscriptions, type SubscriptionState } from './mpns/subscriptions.ts';
import type { TestPki } from './test-pki.ts';

export type { InjectedFault, SubscriptionState } from './mpns/subscriptions.ts';
export { MPNS_RESPONSES } from './mpns/responses.ts';

/** How to run the MPNS simulator. */
export interface MpnsSimulatorOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port of the HTTP (unauthenticated, throttled) server; 0 picks a free one (default); null: no HTTP server. */
  port?: number | null;
  /**
   * The HTTPS (authenticated, unthrottled) server: its certificate and key (PEM), and the
   * CA(s) whose client certificates it accepts — the allowed Windows Phone roots.
   */
  tls?: { port?: number; cert: string; key: string; clientCa: string | readonly string[] };
  /** Notifications per unauthenticated subscription per UTC day (default 500). */
  dailyLimit?: number;
  /** How many accepted notifications to keep for inspection (default 1000, the most recent; 0 keeps none). */
  keep?: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** A notification the simulator accepted (200 Received or Suppressed). */
export interface RecordedNotification extends CheckedNotification {
  at: string;
  token: string;
  authenticated: boolean;
  /** The client certificate's CN (the Service Name) on HTTPS. */
  clientCertificate: string | null;
  response: MpnsResponseName;
  /** The body: UTF-8 text for toasts and tiles, Base64 for raw. */
  body: string;
}

/** Counters since start (or the last reset). */
export interface MpnsSimulatorStats {
  requests: number;
  /** Answers by documented case (received, queueFull, throttled, …). */
  responses: Partial<Record<MpnsResponseName, number>>;
  /** Accepted notifications over HTTP / HTTPS. */
  unauthenticated: number;
  authenticated: number;
  /** TLS handshakes refused (no client certificate, or not from an allowed root). */
  tlsRejected: number;
  /** Connections opened: few means clients keep connections alive. */
  connections: { http: number; https: number };
}

/** A running MPNS simulator. */
export interface MpnsSimulator {
  /** `http://host:port`, or null without an HTTP server. */
  httpUrl: string | null;
  /** `https://host:port`, or null without an HTTPS server. */
  httpsUrl: string | null;
  /**
   * A channel URI as a phone would get it: `http://…/throttledthirdparty/01.00/<token>`, or
   * with `authenticated` `https://…/unthrottledthirdparty/01.00/<token>`.
   */
  channelUri(token: string, options?: { authenticated?: boolean }): string;
  readonly stats: MpnsSimulatorStats;
  /** Accepted notifications, oldest first (the most recent `keep`). */
  readonly notifications: readonly RecordedNotification[];
  setSubscription(token: string, state: SubscriptionState): void;
  /** Answer the next `count` requests (to `token`, or any) with 503 or QueueFull. */
  injectFault(fault: InjectedFault, options?: { count?: number; token?: string }): void;
  /** Forget subscriptions, faults, counts, stats and recorded notifications. */
  reset(): void;
  close(): Promise<void>;
}

/** The `tls` option from a test PKI: its server identity, accepting clients under its MPNS root. */
export function mpnsSimulatorTls(pki: TestPki, port = 0): NonNullable<MpnsSimulatorOptions['tls']> {
  return { port, cert: pki.server.cert, key: pki.server.key, clientCa: pki.mpnsRoot.cert };
}

const CONTROL_PREFIX = '/_simulator/';
const CHANNEL_PATH = /^\/(throttledthirdparty|unthrottledthirdparty)\/01\.00\/([^/?#]+)$/;

function emptyStats(): MpnsSimulatorStats {
  return { requests: 0, responses: {}, unauthenticated: 0, authenticated: 0, tlsRejected: 0, connections: { http: 0, https: 0 } };
}

/**
 * Start a stand-in for MPNS on loopback. HTTP serves unauthenticated channels
 * (`/throttledthirdparty/…`, 500 per subscription per UTC day, then 406); HTTPS requires a
 * client certificate from an allowed root and serves authenticated channels
 * (`/unthrottledthirdparty/…`, no limit). Requests are checked as MPNS checks them (POST,
 * headers, 3 KB, XML), answered with the documented header combinations, and recorded.
 * Subscriptions can be expired, inactive, temporarily disconnected or suppressing, and 503 /
 * QueueFull injected — through this API, the `/_simulator/` HTTP endpoints, or token prefixes
 * (`expired-…`, see TOKEN_PREFIXES).
 *
 * @example
 * const sim = await startMpnsSimulator({ tls: mpnsSimulatorTls(pki) });
 * await sender.send(sim.channelUri('phone-1', { authenticated: true }), toast);
 * sim.notifications.at(-1)?.elements.Text1;
 * await sim.close();
 */
export async function startMpnsSimulator(options: MpnsSimulatorOptions = {}): Promise<MpnsSimulator> {
  const host = options.host ?? '127.0.0.1';
  const dailyLimit = options.dailyLimit ?? UNAUTHENTICATED_DAILY_LIMIT;
  const keep = options.keep ?? 1000;
  const now = options.now ?? (() => new Date());
  const subscriptions = new Subscriptions();
  let stats = emptyStats();
  let recorded: RecordedNotification[] = [];

  function answer(res: ServerResponse, response: MpnsResponse, error?: string): MpnsResponse {
    const headers: Record<string, string> = {};
    if ('notificationStatus' in response && response.notificationStatus) headers[MPNS_HEADERS.notificationStatus] = response.notificationStatus;
    if ('subscriptionStatus' in response && response.subscriptionStatus) headers[MPNS_HEADERS.subscriptionStatus] = response.subscriptionStatus;
    if ('deviceConnectionStatus' in response && response.deviceConnectionStatus) headers[MPNS_HEADERS.deviceConnectionStatus] = response.deviceConnectionStatus;
    if (error) {
      // Real MPNS explains nothing; the simulator says why, to make failing tests obvious.
      headers['x-simulator-error'] = error.replace(/[^\x20-\x7e]/g, '?');
      headers['content-type'] = 'text/plain; charset=utf-8';
    }
    res.writeHead(response.status, headers);
    res.end(error ? `${error}\n` : undefined);
    return response;
  }

  function count(name: MpnsResponseName): void {
    stats.responses[name] = (stats.responses[name] ?? 0) + 1;
  }

  function respond(res: ServerResponse, name: MpnsResponseName, error?: string): void {
    count(name);
    answer(res, MPNS_RESPONSES[name], error);
  }

  // The client certificate's CN, read once per connection: getPeerCertificate builds a whole
  // object tree, far too costly to repeat for every notification on a kept-alive connection.
  const clientNames = new WeakMap<TLSSocket, string | null>();
  function clientName(req: IncomingMessage): string | null {
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function') return null;
    let name = clientNames.get(socket);
    if (name === undefined) {
      const cn = socket.getPeerCertificate().subject?.CN;
      name = (Array.isArray(cn) ? cn[0] : cn) ?? null;
      clientNames.set(socket, name);
    }
    return name;
  }

  function handleNotification(req: IncomingMessage, res: ServerResponse, body: Buffer, size: number, authenticated: boolean): void {
    stats.requests++;
    if (req.method !== 'POST') return respond(res, 'methodNotAllowed', `method ${req.method} is not allowed; MPNS accepts only POST`);
    const path = CHANNEL_PATH.exec((req.url ?? '').split('?')[0]!);
    if (!path) return respond(res, 'badRequest', `"${req.url}" is not a channel URI path (${CHANNEL_PATHS.throttled}<token> or ${CHANNEL_PATHS.unthrottled}<token>)`);
    const token = decodeURIComponent(path[2]!);
    const unthrottledPath = path[1] === 'unthrottledthirdparty';
    if (unthrottledPath && !authenticated) return respond(res, 'unauthorized', 'this channel belongs to an authenticated web service: send over HTTPS with its client certificate');
    const subscription = subscriptions.get(token);
    const client = authenticated ? clientName(req) : null;
    if (authenticated && subscription.serviceName && subscription.serviceName !== client) {
      return respond(res, 'forbidden', `the channel was opened for Service Name "${subscription.serviceName}" but the client certificate's CN is "${client}"`);
    }
    const checked = checkNotificationRequest(req.headers, body, size);
    if (!checked.ok) return respond(res, 'badRequest', checked.error);
    const notification = checked.notification;

    const fault = subscriptions.takeFault(token);
    if (fault === 'unavailable') return respond(res, 'unavailable');
    if (subscription.state === 'expired') return respond(res, 'expired');
    if (subscription.state === 'inactive') return respond(res, 'inactive');
    if (!authenticated && subscriptions.countToday(token, now().toISOString().slice(0, 10)) >= dailyLimit) return respond(res, 'throttled');
    if (fault === 'queue-full') return respond(res, 'queueFull');

    const name: MpnsResponseName = subscription.suppress?.includes(notification.kind) ? 'suppressed'
      : subscription.state === 'temp-disconnected' ? 'receivedTempDisconnected' : 'received';
    if (!authenticated) subscriptions.count(token);
    if (authenticated) stats.authenticated++;
    else stats.unauthenticated++;
    if (keep > 0) record(notification, body, token, authenticated, client, name);
    respond(res, name);
  }

  function record(notification: CheckedNotification, body: Buffer, token: string, authenticated: boolean, client: string | null, name: MpnsResponseName): void {
    recorded.push({
      ...notification,
      at: now().toISOString(),
      token,
      authenticated,
      clientCertificate: client,
      response: name,
      body: notification.kind === 'raw' ? body.toString('base64') : body.toString('utf8'),
    });
    // Trim in batches: slicing on every request would copy the list each time.
    if (recorded.length > keep * 2) recorded = recorded.slice(-keep);
  }

  function handleControl(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const route = `${req.method} ${url.pathname.slice(CONTROL_PREFIX.length - 1)}`;
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(value, null, 2)}\n`);
    };
    let input: Record<string, unknown> = {};
    try {
      if (body.length > 0) input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return json(400, { error: 'the body is not JSON' });
    }
    if (route === 'GET /stats') return json(200, stats);
    if (route === 'GET /notifications') {
      const token = url.searchParams.get('token');
      return json(200, simulator.notifications.filter((n) => token === null || n.token === token));
    }
    if (route === 'POST /reset') {
      simulator.reset();
      return json(200, { reset: true });
    }
    if (route === 'POST /faults') {
      if (input.fault !== 'unavailable' && input.fault !== 'queue-full') return json(400, { error: 'fault must be "unavailable" or "queue-full"' });
      subscriptions.inject(input.fault, { count: typeof input.count === 'number' ? input.count : 1, token: typeof input.token === 'string' ? input.token : undefined });
      return json(200, { injected: input.fault });
    }
    const subscription = /^PUT \/subscriptions\/([^/]+)$/.exec(route);
    if (subscription) {
      const states = ['active', 'temp-disconnected', 'inactive', 'expired'];
      if (typeof input.state !== 'string' || !states.includes(input.state)) return json(400, { error: `state must be one of ${states.join(', ')}` });
      const token = decodeURIComponent(subscription[1]!);
      subscriptions.set(token, input as unknown as SubscriptionState);
      return json(200, { token, ...input });
    }
    return json(404, { error: `no such simulator endpoint: ${route}. Endpoints: GET stats, GET notifications[?token=], POST reset, POST faults, PUT subscriptions/<token>` });
  }

  function handler(authenticated: boolean) {
    return (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Keep a little over the limit: enough to report "too large" without storing a flood.
        if (size <= MAX_PAYLOAD_BYTES + 1024) chunks.push(chunk);
      });
      req.on('end', () => {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        if ((req.url ?? '').startsWith(CONTROL_PREFIX)) return handleControl(req, res, body);
        handleNotification(req, res, body, size, authenticated);
      });
    };
  }

  const servers: Server[] = [];
  async function listen(server: Server, port: number): Promise<number> {
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let httpUrl: string | null = null;
  if (options.port !== null) {
    const server = http.createServer(handler(false));
    server.on('connection', () => { stats.connections.http++; });
    httpUrl = `http://${urlHost}:${await listen(server, options.port ?? 0)}`;
  }
  let httpsUrl: string | null = null;
  if (options.tls) {
    const server = https.createServer({
      cert: options.tls.cert,
      key: options.tls.key,
      ca: typeof options.tls.clientCa === 'string' ? options.tls.clientCa : [...options.tls.clientCa],
      // MPNS authenticates the web service by its TLS client certificate: no certificate
      // from an allowed root, no connection.
      requestCert: true,
      rejectUnauthorized: true,
      // MPNS predates TLS 1.3. Under TLS 1.2 a refused client certificate ends the connection
      // during the handshake, before the client has sent a notification.
      maxVersion: 'TLSv1.2',
    }, handler(true));
    server.on('secureConnection', () => { stats.connections.https++; });
    server.on('tlsClientError', () => { stats.tlsRejected++; });
    httpsUrl = `https://${urlHost}:${await listen(server, options.tls.port ?? 0)}`;
  }

  const simulator: MpnsSimulator = {
    httpUrl,
    httpsUrl,
    channelUri(token, { authenticated = false } = {}) {
      const base = authenticated ? httpsUrl : httpUrl;
      if (!base) throw new Error(`This simulator has no ${authenticated ? 'HTTPS' : 'HTTP'} server; start it with ${authenticated ? 'the tls option' : 'a port'}.`);
      return `${base}${authenticated ? CHANNEL_PATHS.unthrottled : CHANNEL_PATHS.throttled}${encodeURIComponent(token)}`;
    },
    get stats() {
      return stats;
    },
    get notifications() {
      return recorded.length > keep ? recorded.slice(recorded.length - keep) : recorded;
    },
    setSubscription: (token, state) => subscriptions.set(token, state),
    injectFault: (fault, faultOptions) => subscriptions.inject(fault, faultOptions),
    reset() {
      subscriptions.reset();
      stats = emptyStats();
      recorded = [];
    },
    async close() {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })));
    },
  };
  return simulator;
}
