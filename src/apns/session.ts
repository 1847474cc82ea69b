import type { SecureContextOptions } from 'node:tls';
import type { Endpoint } from './endpoints.ts';
import { Http2ClientConnection } from './http2/connection.ts';
import { ErrorCode, errorName } from './http2/frames.ts';
import { literalFieldMaxBytes, literalFieldName, writeIndexedField, writeLiteralField, writeLiteralValue } from './http2/hpack.ts';
import type { PreparedRequest } from './notification.ts';
import type { Failed, Outcome } from './outcome.ts';
import { DEVICE_PATH_PREFIX } from './request-rules.ts';

/** One notification on its way: what the pool queues, a session carries, and the caller awaits. */
export interface Job {
  request: PreparedRequest;
  /** The caller's retry count for this notification (for the backoff delay), if it told us. */
  attempt: number | undefined;
  /** Times this job went back to the queue unprocessed (REFUSED_STREAM, GOAWAY). */
  resends: number;
  /** Whether it was already resent with a renewed provider token (APNs: ExpiredProviderToken). */
  renewedToken: boolean;
  /** The provider token it was sent with (token auth). */
  providerToken: string | undefined;
  /** When the request times out (ms since epoch), set when it is put on a stream. */
  deadline: number;
  /**
   * Called once with the final outcome and `context`: one shared function for many jobs (no
   * closure per notification), called from a microtask, never from inside a session's event.
   */
  done: (outcome: Outcome, context: never) => void;
  context: unknown;
}

/** What a session reports about a job. */
export type JobResult =
  | { kind: 'response'; status: number; apnsId: string | undefined; body: string }
  /**
   * Not processed by APNs (REFUSED_STREAM, or above a GOAWAY's last stream): safe to send again.
   * `counts`: false above a GOAWAY that let some streams through (a normal handover).
   */
  | { kind: 'unprocessed'; counts: boolean }
  /** The connection went away while APNs had the request: it may or may not have been taken. */
  | { kind: 'lost'; detail: string }
  | { kind: 'timeout' }
  /** Never sent: no connection could be made. */
  | { kind: 'not-sent'; failure: Failed };

/** What a session tells the pool. */
export interface SessionEvents {
  /** Ready for streams, or has room again (a stream ended, the stream limit rose). */
  capacity(session: ApnsSession): void;
  /** Gone (closed, failed, or draining after GOAWAY): the pool stops using it. */
  gone(session: ApnsSession, error: Error | undefined, wasReady: boolean): void;
  /** A job is done on this session. */
  settled(job: Job, result: JobResult): void;
}

export interface SessionOptions {
  endpoint: Endpoint;
  tls: SecureContextOptions;
  /** Our own cap on streams per session; the server's SETTINGS_MAX_CONCURRENT_STREAMS may be lower. */
  maxConcurrentStreams: number;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  idleTimeoutMs: number;
  now: () => number;
}

/** A request on the wire: reads the answer for its job. */
class ApnsStream {
  readonly job: Job;
  readonly session: ApnsSession;
  id = 0;
  status = 0;
  apnsId: string | undefined = undefined;
  body = '';
  done = false;

  constructor(job: Job, session: ApnsSession) {
    this.job = job;
    this.session = session;
  }

  onHeaders(fields: string[], endStream: boolean): void {
    if (this.status === 0) {
      for (let i = 0; i < fields.length; i += 2) {
        const name = fields[i]!;
        if (name === ':status') this.status = Number(fields[i + 1]);
        else if (name === 'apns-id') this.apnsId = fields[i + 1];
      }
      if (this.status < 200) this.status = 0; // 1xx: the real answer follows
      // APNs answers 200 without a body: the notification is taken as soon as the headers arrive.
      if (this.status === 200) return this.session.settle(this, { kind: 'response', status: 200, apnsId: this.apnsId, body: '' });
    }
    if (endStream) this.#end();
  }

  onData(data: Buffer, endStream: boolean): void {
    if (this.body.length < 4096) this.body += data.toString('utf8');
    if (endStream) this.#end();
  }

  onReset(code: number, unprocessed: boolean): void {
    this.session.streamEnded(this, code, unprocessed);
  }

  #end(): void {
    if (this.status === 0) return this.session.streamEnded(this, ErrorCode.PROTOCOL_ERROR, false);
    this.session.settle(this, { kind: 'response', status: this.status, apnsId: this.apnsId, body: this.body });
  }
}

/**
 * One HTTP/2 connection to APNs. It honours the server's SETTINGS_MAX_CONCURRENT_STREAMS as it
 * changes (APNs lowers it to 1 after errors and raises it again), stops opening streams after a
 * GOAWAY and hands back the streams the server did not process, PINGs to find dead connections,
 * times requests out, and closes itself when idle.
 */
export class ApnsSession {
  readonly id: number;
  state: 'connecting' | 'ready' | 'draining' | 'closed' = 'connecting';
  /** APNs' GOAWAY: streams above this id were not processed. -1 until a GOAWAY arrives. */
  goawayLastStreamId = -1;
  /** GOAWAY debug data (APNs sends `{"reason": …}`). */
  goawayReason: string | undefined;
  readonly #connection: Http2ClientConnection<ApnsStream>;
  readonly #events: SessionEvents;
  readonly #options: SessionOptions;
  /** `:method POST`, `:scheme https`, `:authority` — the same on every request. */
  readonly #prefix: Buffer;
  #authorization: string | undefined;
  #authorizationField: Buffer = Buffer.alloc(0);
  #timer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #idleSince: number;
  #pingSentAt = 0;
  #nextPingAt = 0;
  #wasReady = false;
  #error: Error | undefined;

  constructor(id: number, options: SessionOptions, events: SessionEvents) {
    this.id = id;
    this.#options = options;
    this.#events = events;
    this.#idleSince = options.now();
    const { endpoint } = options;
    const prefix = Buffer.allocUnsafe(2 + literalFieldMaxBytes(10, Buffer.byteLength(endpoint.authority)));
    let at = writeIndexedField(prefix, 0, 3); // :method POST
    at = writeIndexedField(prefix, at, 7); // :scheme https
    at = writeLiteralField(prefix, at, ':authority', endpoint.authority);
    this.#prefix = prefix.subarray(0, at);
    this.#connection = new Http2ClientConnection<ApnsStream>({ host: endpoint.host, port: endpoint.port, servername: endpoint.servername, tls: options.tls }, {
      ready: () => this.#onReady(),
      settings: () => { if (this.state === 'ready') this.#events.capacity(this); },
      streamClosed: () => this.#onStreamClosed(),
      goaway: (lastStreamId, code, debug) => this.#onGoaway(lastStreamId, code, debug),
      pingAck: () => {
        this.#pingSentAt = 0;
        this.#nextPingAt = this.#options.now() + this.#options.pingIntervalMs;
      },
      closed: (error) => this.#onClosed(error),
    });
    this.#connectTimer = setTimeout(() => {
      this.destroy(new Error(`no HTTP/2 connection to ${endpoint.url} within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
    this.#connectTimer.unref();
  }

  /** Streams open on this session. */
  get active(): number {
    return this.#connection.active;
  }

  /** How many streams may be open: min(server limit, our cap). */
  get limit(): number {
    return Math.min(this.#connection.remoteMaxConcurrentStreams, this.#options.maxConcurrentStreams);
  }

  /** True when a new stream may start here now. */
  get hasRoom(): boolean {
    return this.state === 'ready' && this.#connection.canOpenStream && this.#connection.active < this.#options.maxConcurrentStreams;
  }

  /** Put a job on a new stream. Call only when hasRoom. */
  start(job: Job, authorization: string | undefined): void {
    if (authorization !== this.#authorization) {
      this.#authorization = authorization;
      const field = Buffer.allocUnsafe(authorization === undefined ? 0 : literalFieldMaxBytes(13, Buffer.byteLength(authorization)));
      this.#authorizationField = authorization === undefined ? field : field.subarray(0, writeLiteralField(field, 0, 'authorization', authorization));
    }
    const stream = new ApnsStream(job, this);
    job.deadline = this.#options.now() + this.#options.requestTimeoutMs;
    const r = job.request;
    // Names, length prefixes and the fixed values fit in REQUEST_FIELDS_MAX_BYTES; token and
    // topic are ASCII (checked), a collapse id at most 64 bytes of UTF-8.
    const max = this.#prefix.length + this.#authorizationField.length + REQUEST_FIELDS_MAX_BYTES
      + r.token.length + r.topic.length + (r.collapseId === undefined ? 0 : 3 * r.collapseId.length);
    stream.id = this.#connection.request(encodeRequestHeaders, stream, max, r.body, stream);
  }

  /** Let the process exit while the session is idle; hold it while there is work. */
  hold(busy: boolean): void {
    if (busy) this.#connection.ref();
    else this.#connection.unref();
  }

  /** Close gracefully: no new streams, open ones finish. */
  close(): void {
    if (this.state === 'closed') return;
    this.#leave('draining');
    this.#connection.close();
  }

  /** Close at once; open streams are lost (with `error` as the reason). */
  destroy(error?: Error): void {
    this.#error ??= error;
    this.#connection.destroy(error);
  }

  /** The header block: pseudo-headers first (RFC 9113 §8.3), then authorization and APNs' headers. */
  writeHeaders(out: Buffer, at: number, r: PreparedRequest): number {
    at += this.#prefix.copy(out, at);
    at = writeLiteralValue(out, at + PATH.copy(out, at), DEVICE_PATH_PREFIX, r.token);
    at += this.#authorizationField.copy(out, at);
    at = writeLiteralValue(out, at + APNS_ID.copy(out, at), r.apnsId);
    at = writeLiteralValue(out, at + APNS_TOPIC.copy(out, at), r.topic);
    at = writeLiteralValue(out, at + APNS_PUSH_TYPE.copy(out, at), r.pushType);
    if (r.priority !== undefined) at = writeLiteralValue(out, at + APNS_PRIORITY.copy(out, at), r.priority);
    if (r.expiration !== undefined) at = writeLiteralValue(out, at + APNS_EXPIRATION.copy(out, at), r.expiration);
    if (r.collapseId !== undefined) at = writeLiteralValue(out, at + APNS_COLLAPSE_ID.copy(out, at), r.collapseId);
    return at;
  }

  /** @internal A stream's job has its answer. */
  settle(stream: ApnsStream, result: JobResult): void {
    if (stream.done) return;
    stream.done = true;
    this.#events.settled(stream.job, result);
  }

  /** @internal A stream ended without a (complete) answer. */
  streamEnded(stream: ApnsStream, code: number, unprocessed: boolean): void {
    if (stream.done) return;
    // APNs: a refused stream, or one above the GOAWAY's last stream id, was not processed and
    // may be sent again; anything else might have been.
    if (unprocessed) {
      this.settle(stream, { kind: 'unprocessed', counts: !(this.goawayLastStreamId > 0 && stream.id > this.goawayLastStreamId) });
    } else {
      this.settle(stream, { kind: 'lost', detail: this.#lostDetail(code) });
    }
  }

  #lostDetail(code: number): string {
    if (this.#error) return `connection error: ${this.#error.message}`;
    if (code >= 0) return `stream reset by APNs (${errorName(code)})`;
    return 'the connection closed before APNs answered';
  }

  #onReady(): void {
    if (this.state !== 'connecting') return;
    this.state = 'ready';
    this.#wasReady = true;
    clearTimeout(this.#connectTimer);
    this.#nextPingAt = this.#options.now() + this.#options.pingIntervalMs;
    const tick = Math.max(20, Math.min(1000, Math.floor(Math.min(this.#options.requestTimeoutMs, this.#options.pingIntervalMs) / 4)));
    this.#timer = setInterval(() => this.#tick(), tick);
    this.#timer.unref();
    this.#events.capacity(this);
  }

  #onStreamClosed(): void {
    if (this.#connection.active === 0) this.#idleSince = this.#options.now();
    if (this.state === 'ready') this.#events.capacity(this);
  }

  #onGoaway(lastStreamId: number, code: number, data: Buffer): void {
    this.goawayLastStreamId = this.goawayLastStreamId < 0 ? lastStreamId : Math.min(this.goawayLastStreamId, lastStreamId);
    if (data.length > 0) {
      const text = data.toString('utf8');
      try {
        this.goawayReason = (JSON.parse(text) as { reason?: string }).reason;
      } catch {
        this.goawayReason = text;
      }
    }
    if (code !== ErrorCode.NO_ERROR) this.#error ??= new Error(`APNs sent GOAWAY ${errorName(code)}${this.goawayReason ? ` (${this.goawayReason})` : ''}`);
    this.#leave('draining');
  }

  #onClosed(error: Error | undefined): void {
    this.#error ??= error;
    clearTimeout(this.#connectTimer);
    clearInterval(this.#timer);
    this.#leave('closed');
  }

  #leave(state: 'draining' | 'closed'): void {
    if (this.state === 'closed' || this.state === state) return;
    const wasUsable = this.state === 'ready' || this.state === 'connecting';
    this.state = state;
    if (wasUsable) this.#events.gone(this, this.#error, this.#wasReady);
  }

  #tick(): void {
    const now = this.#options.now();
    // Requests that ran out of time. A walk over the open streams (at most the stream limit)
    // a few times a second; keeping a list in start order instead would keep finished
    // requests alive until the walk reached them.
    for (const stream of this.#connection.listeners()) {
      if (!stream.done && stream.job.deadline <= now) {
        this.settle(stream, { kind: 'timeout' });
        this.#connection.cancel(stream.id, ErrorCode.CANCEL);
      }
    }
    if (this.state !== 'ready') return;
    if (this.#connection.active === 0 && now - this.#idleSince >= this.#options.idleTimeoutMs) {
      this.close();
      return;
    }
    // APNs: use PING to check that a connection is alive.
    if (this.#pingSentAt === 0) {
      if (now >= this.#nextPingAt) {
        this.#pingSentAt = now;
        this.#connection.ping();
      }
    } else if (now - this.#pingSentAt >= this.#options.pingTimeoutMs) {
      this.destroy(new Error(`APNs did not answer a PING within ${this.#options.pingTimeoutMs} ms: the connection is dead`));
    }
  }
}

/** Writes a stream's request header block (a plain function: no closure per request). */
function encodeRequestHeaders(out: Buffer, at: number, stream: ApnsStream): number {
  return stream.session.writeHeaders(out, at, stream.job.request);
}

// The names of the fields every request carries, HPACK-encoded once.
const PATH = literalFieldName(':path');
const APNS_ID = literalFieldName('apns-id');
const APNS_TOPIC = literalFieldName('apns-topic');
const APNS_PUSH_TYPE = literalFieldName('apns-push-type');
const APNS_PRIORITY = literalFieldName('apns-priority');
const APNS_EXPIRATION = literalFieldName('apns-expiration');
const APNS_COLLAPSE_ID = literalFieldName('apns-collapse-id');
/** Upper bound of the request fields' bytes besides token, topic and collapse id: six names of at most 16 bytes with their length prefixes, `/3/device/`, a 36-byte apns-id, push type, priority and expiration. */
const REQUEST_FIELDS_MAX_BYTES = 256;
