import type { SecureContextOptions } from 'node:tls';
import type { Endpoint } from './endpoints.ts';
import { BodyText } from './http2/body-text.ts';
import type { ConnectionLimits } from './http2/connection.ts';
import { ErrorCode, errorName } from './http2/frames.ts';
import type { PreparedRequest } from './notification.ts';
import { type Failed, LOCAL_REASONS, type Outcome } from './outcome.ts';
import { goawayCause, localCause } from './transport/close-cause.ts';
import { createTransport } from './transport/create-transport.ts';
import type { CloseCause, Transport, TransportName } from './transport/transport.ts';

/** One notification on its way: what the pool queues, a session carries, and the caller awaits. */
export interface Job {
  request: PreparedRequest;
  /** The caller's retry count for this notification (for the backoff delay), if it told us. */
  attempt: number | undefined;
  /** Times this job went back to the queue unprocessed and it counted (REFUSED_STREAM, a GOAWAY with an error or no progress). */
  resends: number;
  /** Times it was handed over past a graceful GOAWAY that let other streams through. */
  handovers: number;
  /** Whether it was already resent with a renewed provider token (APNs: ExpiredProviderToken). */
  renewedToken: boolean;
  /** The provider token it was sent with (token auth). */
  providerToken: string | undefined;
  /** When it was submitted (ms since epoch): the queue timeout counts from here. */
  submittedAt: number;
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
   * `counts`: false above a graceful GOAWAY that let some streams through (a normal handover).
   */
  | { kind: 'unprocessed'; counts: boolean; detail: string }
  /**
   * The stream was reset (RST_STREAM other than REFUSED_STREAM): by APNs, a server-side
   * failure; or by this client, for a response that breaks HTTP/2 (`detail` says what).
   */
  | { kind: 'reset'; code: number; detail: string | undefined }
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
  /** Fully closed: the connection is released. */
  closed(session: ApnsSession): void;
  /** A job is done on this session. */
  settled(job: Job, result: JobResult): void;
}

export interface SessionOptions {
  endpoint: Endpoint;
  tls: SecureContextOptions;
  transport: TransportName;
  /** Our own cap on streams per session; the server's SETTINGS_MAX_CONCURRENT_STREAMS may be lower. */
  maxConcurrentStreams: number;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  idleTimeoutMs: number;
  now: () => number;
  /** The certpush wire's limits (tests lower them to reach stream-id exhaustion). */
  wireLimits?: ConnectionLimits;
}

/**
 * After close(), how long the connection gets to finish its GOAWAY exchange before it is
 * destroyed: a server that never closes its side must not keep the process alive.
 */
export const CLOSE_GRACE_MS = 1000;

/** A request on the wire: reads the answer for its job. */
class ApnsStream {
  readonly job: Job;
  readonly session: ApnsSession;
  id = 0;
  status = 0;
  apnsId: string | undefined = undefined;
  /**
   * APNs' error body (tiny): a UTF-8 character split across DATA frames stays whole. Made on
   * the first DATA: a 200 has no body.
   */
  body: BodyText | undefined = undefined;
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
    (this.body ??= new BodyText(4096)).write(data);
    if (endStream) this.#end();
  }

  onReset(code: number, unprocessed: boolean, cause?: CloseCause): void {
    this.session.streamEnded(this, code, unprocessed, cause);
  }

  /** The answer so far, when its deadline passes: APNs' status if it gave one. */
  answerSoFar(): JobResult {
    if (this.status === 0) return { kind: 'timeout' };
    return { kind: 'response', status: this.status, apnsId: this.apnsId, body: this.body?.end() ?? '' };
  }

  #end(): void {
    if (this.status === 0) return this.session.settle(this, { kind: 'lost', detail: 'APNs ended the request stream without a response status; APNs may or may not have taken the notification.' });
    this.session.settle(this, { kind: 'response', status: this.status, apnsId: this.apnsId, body: this.body?.end() ?? '' });
  }
}

/**
 * One HTTP/2 connection to APNs, over a transport (certpush's wire or node:http2). It honours
 * the server's SETTINGS_MAX_CONCURRENT_STREAMS as it changes (APNs lowers it to 1 after errors
 * and raises it again), stops opening streams after a GOAWAY and hands back the streams the
 * server did not process, PINGs to find dead connections, times requests out (and cancels a
 * response that started but never ends, freeing its stream), and closes itself when idle.
 */
export class ApnsSession {
  readonly id: number;
  state: 'connecting' | 'ready' | 'draining' | 'closed' = 'connecting';
  /** APNs' GOAWAY: streams above this id were not processed. -1 until a GOAWAY arrives. */
  goawayLastStreamId = -1;
  /** The code of APNs' GOAWAY (-1 until one arrives). */
  goawayCode = -1;
  /** GOAWAY debug data (APNs sends `{"reason": …}`). */
  goawayReason: string | undefined;
  /** Requests APNs answered on this session (any status): whether the connection made progress. */
  answered = 0;
  readonly #transport: Transport<ApnsStream>;
  readonly #events: SessionEvents;
  readonly #options: SessionOptions;
  #timer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #idleSince: number;
  #pingSentAt = 0;
  #nextPingAt = 0;
  #wasReady = false;
  #cause: CloseCause | undefined;
  /** Streams lost with the connection before the transport said why: settled when it closes. */
  #lostWithoutCause: ApnsStream[] = [];

  constructor(id: number, options: SessionOptions, events: SessionEvents) {
    this.id = id;
    this.#options = options;
    this.#events = events;
    this.#idleSince = options.now();
    const { endpoint } = options;
    this.#transport = createTransport<ApnsStream>(options.transport, {
      host: endpoint.host, port: endpoint.port, servername: endpoint.servername, authority: endpoint.authority, tls: options.tls,
      ...(options.wireLimits ? { wireLimits: options.wireLimits } : {}),
    }, {
      ready: () => this.#onReady(),
      settings: () => { if (this.state === 'ready') this.#events.capacity(this); },
      streamClosed: () => this.#onStreamClosed(),
      goaway: (lastStreamId, code, debug) => this.#onGoaway(lastStreamId, code, debug),
      exhausted: () => this.#leave('draining'),
      pingAck: () => {
        this.#pingSentAt = 0;
        this.#nextPingAt = this.#options.now() + this.#options.pingIntervalMs;
      },
      closed: (cause) => this.#onClosed(cause),
    });
    this.#connectTimer = setTimeout(() => {
      this.destroy(localCause(`no HTTP/2 connection to ${endpoint.url} within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
    this.#connectTimer.unref();
  }

  /** Streams open on this session. */
  get active(): number {
    return this.#transport.active;
  }

  /** How many streams may be open: min(server limit, our cap). */
  get limit(): number {
    return Math.min(this.#transport.remoteMaxConcurrentStreams, this.#options.maxConcurrentStreams);
  }

  /** True when a new stream may start here now. */
  get hasRoom(): boolean {
    return this.state === 'ready' && this.#transport.canOpenStream && this.#transport.active < this.#options.maxConcurrentStreams;
  }

  /** Put a job on a new stream. Call only when hasRoom. */
  start(job: Job, authorization: string | undefined): void {
    const stream = new ApnsStream(job, this);
    job.deadline = this.#options.now() + this.#options.requestTimeoutMs;
    stream.id = this.#transport.request(job.request, authorization, stream);
  }

  /** Let the process exit while the session is idle; hold it while there is work. */
  hold(busy: boolean): void {
    if (busy) this.#transport.ref();
    else this.#transport.unref();
  }

  /**
   * Close gracefully: no new streams, open ones finish — except streams whose job already has
   * its outcome (a response that started and never ended), which are cancelled. Destroyed if
   * not closed within CLOSE_GRACE_MS.
   */
  close(): void {
    if (this.state === 'closed') return;
    this.#leave('draining');
    for (const stream of this.#transport.listeners()) if (stream.done) this.#transport.cancel(stream.id, ErrorCode.CANCEL);
    this.#transport.close();
    if (this.#closeTimer === undefined) {
      this.#closeTimer = setTimeout(() => this.destroy(localCause(`the connection did not close within ${CLOSE_GRACE_MS} ms of GOAWAY`)), CLOSE_GRACE_MS);
      this.#closeTimer.unref();
    }
  }

  /** Close at once; open streams are lost (with `cause` as the reason). */
  destroy(cause?: CloseCause): void {
    this.#cause ??= cause;
    this.#transport.destroy(cause);
  }

  /** @internal A stream's job has its answer. */
  settle(stream: ApnsStream, result: JobResult): void {
    if (stream.done) return;
    stream.done = true;
    if (result.kind === 'response') this.answered++;
    this.#events.settled(stream.job, result);
  }

  /** @internal A stream ended without a (complete) answer. */
  streamEnded(stream: ApnsStream, code: number, unprocessed: boolean, cause: CloseCause | undefined): void {
    if (stream.done) return;
    // APNs: a refused stream, or one above the GOAWAY's last stream id, was not processed and
    // may be sent again; anything else might have been.
    if (unprocessed) {
      this.settle(stream, { kind: 'unprocessed', counts: !this.#isHandover(stream), detail: this.#unprocessedDetail(code) });
    } else if (code >= 0) {
      // A stream error the transport found in the response carries its cause; APNs' own reset does not need one.
      this.settle(stream, { kind: 'reset', code, detail: cause?.kind === 'protocol' ? cause.message : undefined });
    } else if (cause === undefined && this.#cause === undefined && this.state !== 'closed') {
      // The transport tells why the connection went away when it closes: wait for that.
      this.#lostWithoutCause.push(stream);
    } else {
      this.settle(stream, { kind: 'lost', detail: this.#lostDetail(cause) });
    }
  }

  /**
   * Above the last stream id of a graceful GOAWAY that let some streams through: the server
   * handed over to a new connection (APNs does this routinely). Not a failure to count.
   */
  #isHandover(stream: ApnsStream): boolean {
    return this.goawayCode === ErrorCode.NO_ERROR && this.goawayLastStreamId > 0 && stream.id > this.goawayLastStreamId;
  }

  #unprocessedDetail(code: number): string {
    if (this.goawayCode >= 0) return `not processed: above the last stream id of ${goawayCause(this.goawayCode, this.goawayReason).message}`;
    return `not processed: APNs refused the stream (${errorName(code >= 0 ? code : ErrorCode.REFUSED_STREAM)})`;
  }

  /** An outcome's detail for a request lost with its connection: the real cause first. */
  #lostDetail(cause: CloseCause | undefined): string {
    const known = this.#cause ?? cause;
    if (known) return `The connection was lost before APNs answered: ${known.message}. APNs may or may not have taken the notification.`;
    return LOCAL_REASONS.ConnectionLost;
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
    if (this.#transport.active === 0) this.#idleSince = this.#options.now();
    if (this.state === 'ready') this.#events.capacity(this);
  }

  #onGoaway(lastStreamId: number, code: number, data: Buffer): void {
    this.goawayLastStreamId = this.goawayLastStreamId < 0 ? lastStreamId : Math.min(this.goawayLastStreamId, lastStreamId);
    this.goawayCode = this.goawayCode <= 0 ? code : this.goawayCode;
    if (data.length > 0) {
      const text = data.toString('utf8');
      try {
        this.goawayReason = (JSON.parse(text) as { reason?: string }).reason ?? text;
      } catch {
        this.goawayReason = text;
      }
    }
    if (code !== ErrorCode.NO_ERROR) this.#cause ??= goawayCause(code, this.goawayReason);
    this.#leave('draining');
    // RFC 9113 §6.8: finish what is below the last stream id, then close — with our own GOAWAY.
    this.#transport.close();
  }

  #onClosed(cause: CloseCause | undefined): void {
    this.#cause ??= cause;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#closeTimer);
    clearInterval(this.#timer);
    const lost = this.#lostWithoutCause;
    this.#lostWithoutCause = [];
    this.#leave('closed');
    for (const stream of lost) this.settle(stream, { kind: 'lost', detail: this.#lostDetail(undefined) });
    this.#events.closed(this);
  }

  /** The error the pool hears with `gone`: the cause, with a TLS alert's code when there was one. */
  #error(): Error | undefined {
    const cause = this.#cause;
    if (cause === undefined) return undefined;
    return cause.error ?? new Error(cause.message);
  }

  #leave(state: 'draining' | 'closed'): void {
    if (this.state === 'closed' || this.state === state) return;
    const wasUsable = this.state === 'ready' || this.state === 'connecting';
    this.state = state;
    if (wasUsable) this.#events.gone(this, this.#error(), this.#wasReady);
  }

  #tick(): void {
    const now = this.#options.now();
    // Requests that ran out of time, and responses that started but never ended: cancelled, so
    // their stream slot is free again. A walk over the open streams (at most the stream limit)
    // a few times a second; keeping a list in start order instead would keep finished requests
    // alive until the walk reached them.
    for (const stream of this.#transport.listeners()) {
      if (stream.job.deadline > now) continue;
      if (!stream.done) this.settle(stream, stream.answerSoFar());
      this.#transport.cancel(stream.id, ErrorCode.CANCEL);
    }
    if (this.state !== 'ready') return;
    if (this.#transport.active === 0 && now - this.#idleSince >= this.#options.idleTimeoutMs) {
      this.close();
      return;
    }
    // APNs: use PING to check that a connection is alive.
    if (this.#pingSentAt === 0) {
      if (now >= this.#nextPingAt) {
        this.#pingSentAt = now;
        this.#transport.ping();
      }
    } else if (now - this.#pingSentAt >= this.#options.pingTimeoutMs) {
      this.destroy(localCause(`APNs did not answer a PING within ${this.#options.pingTimeoutMs} ms: the connection is dead`));
    }
  }
}
