import type { SecureContextOptions } from 'node:tls';
import { CertpushError } from '../errors.ts';
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import type { Endpoint } from './endpoints.ts';
import { JobQueue } from './job-queue.ts';
import type { PreparedRequest } from './notification.ts';
import { errorName } from './http2/frames.ts';
import { type Failed, failureFromResponse, LOCAL_REASONS, type Outcome } from './outcome.ts';
import { ApnsSession, type Job, type JobResult, type SessionEvents } from './session.ts';
import type { TransportName } from './transport/transport.ts';

/** How the pool gets provider tokens (token auth only). */
export interface ProviderTokens {
  token(): string;
  renewAfterExpired(rejected: string): boolean;
}

export interface SessionPoolOptions {
  endpoint: Endpoint;
  tls: SecureContextOptions;
  transport: TransportName;
  providerTokens: ProviderTokens | undefined;
  maxSessions: number;
  maxConcurrentStreams: number;
  maxQueued: number;
  maxResends: number;
  /** Handovers past graceful GOAWAYs a job may take (they do not count towards maxResends). */
  maxHandovers: number;
  requestTimeoutMs: number;
  /** How long a notification may wait in the queue for a stream, from submission. */
  queueTimeoutMs: number;
  connectTimeoutMs: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  idleTimeoutMs: number;
  backoff: BackoffPolicy;
  /** Delays between connection attempts after connections that made no progress. */
  reconnectBackoff: BackoffPolicy;
  now: () => number;
  random: () => number;
}

/** Counters over the life of a pool. */
export interface PoolStats {
  sent: number;
  accepted: number;
  failed: number;
  /** Requests sent again unprocessed (REFUSED_STREAM, GOAWAY) or with a renewed provider token. */
  resent: number;
  queued: number;
  inFlight: number;
  sessions: number;
  sessionsOpened: number;
}

/**
 * A few HTTP/2 sessions for one credential and a bounded queue in front of them. Requests go to
 * a session with a free stream (per the server's SETTINGS_MAX_CONCURRENT_STREAMS); the rest
 * wait in the queue; `ready()` tells callers when the queue has room again. Nothing is kept
 * about a notification once its outcome is delivered.
 */
export class SessionPool implements SessionEvents {
  readonly #options: SessionPoolOptions;
  readonly #queue = new JobQueue<Job>(1024);
  /** Sessions taking new streams (connecting or ready). */
  readonly #sessions: ApnsSession[] = [];
  /** Every session not yet closed, draining ones too: close() and hold() reach them all. */
  readonly #live = new Set<ApnsSession>();
  #closedWaiters: Array<() => void> = [];
  /** Connections in a row that ended without APNs answering anything. */
  #failedConnections = 0;
  /** No new connection before this (ms since epoch): reconnect backoff. */
  #reconnectAt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Why the last connection attempt failed, until a connection works again. */
  #connectFailure: Failed | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  readonly #waiters: Array<() => void> = [];
  #drainWaiters: Array<() => void> = [];
  /** Outcomes waiting for the next dispatch to their callers. */
  #finishedJobs: Job[] = [];
  #finishedOutcomes: Outcome[] = [];
  #nextSessionId = 1;
  #cursor = 0;
  #outstanding = 0;
  #consecutiveRetries = 0;
  #closing = false;
  #pumping = false;
  readonly #stats = { sent: 0, accepted: 0, failed: 0, resent: 0, sessionsOpened: 0 };

  constructor(options: SessionPoolOptions) {
    this.#options = options;
  }

  /**
   * Queue a prepared request; `done(outcome, context)` is called once with its outcome, from a
   * microtask. Throws when the pool is closed.
   */
  submit<C>(request: PreparedRequest, attempt: number | undefined, done: (outcome: Outcome, context: C) => void, context: C): void {
    if (this.#closing) throw new CertpushError('APNS_CLIENT_CLOSED', 'The APNs client is closed; create a new client to send more.');
    const job: Job = { request, attempt, resends: 0, handovers: 0, renewedToken: false, providerToken: undefined, submittedAt: this.#options.now(), deadline: 0, done, context };
    if (this.#outstanding++ === 0) this.#busy(true);
    this.#stats.sent++;
    this.#queue.push(job);
    this.#pump();
  }

  /** True while the queue has room. */
  get writable(): boolean {
    return this.#queue.length < this.#options.maxQueued;
  }

  /** Resolves when the queue has room (at once if it has). */
  ready(): Promise<void> {
    if (this.writable) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  stats(): PoolStats {
    let inFlight = 0;
    for (const s of this.#sessions) inFlight += s.active;
    return { ...this.#stats, queued: this.#queue.length, inFlight, sessions: this.#sessions.length };
  }

  /**
   * Finish what is queued and in flight, then close every session — draining ones too — and
   * resolve when their connections are closed (each within CLOSE_GRACE_MS).
   */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#outstanding > 0) await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    clearTimeout(this.#reconnectTimer);
    // Held while they close, so that close() resolves (at most CLOSE_GRACE_MS later) rather
    // than the process exiting under a pending promise.
    for (const session of [...this.#live]) {
      session.hold(true);
      session.close();
    }
    if (this.#live.size > 0) await new Promise<void>((resolve) => this.#closedWaiters.push(resolve));
  }

  // SessionEvents
  capacity(session: ApnsSession): void {
    if (session.state === 'ready') this.#connectFailure = undefined;
    this.#pump();
  }

  gone(session: ApnsSession, error: Error | undefined, wasReady: boolean): void {
    const at = this.#sessions.indexOf(session);
    if (at >= 0) this.#sessions.splice(at, 1);
    // A connection that failed, or went away (GOAWAY, error) without APNs answering anything,
    // makes the next one wait: exponential with jitter, so a server that fails every
    // connection costs a bounded number of handshakes instead of a storm. After a graceful
    // GOAWAY that let streams through, answers may still follow: judged when it closes.
    if (session.answered > 0) this.#connectionWorked();
    else if (error !== undefined || session.goawayLastStreamId === 0) this.#connectionFailed();
    if (!wasReady && error && !this.#sessions.some((s) => s.state === 'connecting' || s.state === 'ready')) {
      // Could not connect: what waits would wait forever, so it fails now with a reason.
      const failure = connectFailure(error, this.#options.endpoint);
      this.#connectFailure = failure;
      for (const job of this.#queue.drain()) this.settled(job, { kind: 'not-sent', failure });
    }
    this.#pump();
  }

  closed(session: ApnsSession): void {
    this.#live.delete(session);
    if (session.goawayLastStreamId > 0 && session.goawayCode === 0) {
      if (session.answered > 0) this.#connectionWorked();
      else this.#connectionFailed();
    }
    if (this.#live.size > 0) return;
    const waiters = this.#closedWaiters;
    this.#closedWaiters = [];
    for (const wake of waiters) wake();
  }

  /** APNs answered on a connection: the next one needs no backoff. */
  #connectionWorked(): void {
    if (this.#failedConnections === 0) return;
    this.#failedConnections = 0;
    this.#reconnectAt = 0;
    queueMicrotask(() => this.#pump());
  }

  #connectionFailed(): void {
    const delay = backoffDelay(this.#failedConnections++, this.#options.reconnectBackoff, this.#options.random);
    this.#reconnectAt = this.#options.now() + delay;
  }

  settled(job: Job, result: JobResult): void {
    const outcome = this.#outcome(job, result);
    // undefined: the job went back to the queue, not final yet.
    if (outcome !== undefined) this.#finish(job, outcome);
  }

  #outcome(job: Job, result: JobResult): Outcome | undefined {
    const apnsId = job.request.apnsId;
    switch (result.kind) {
      case 'not-sent': {
        // Not before the next connection attempt: sooner would fail the same way.
        const retryAfterMs = Math.max(this.#retryDelay(job), this.#reconnectAt - this.#options.now());
        return { ...result.failure, apnsId, ...(result.failure.class === 'retry' ? { retryAfterMs } : {}) };
      }
      case 'response': {
        if (result.status === 200) return { class: 'accepted', status: 200, apnsId: result.apnsId ?? apnsId };
        const failure = failureFromResponse(result.status, result.body, result.apnsId ?? apnsId);
        // APNs: ExpiredProviderToken — make a new token and send once more with it.
        if (failure.reason === 'ExpiredProviderToken' && this.#options.providerTokens && !job.renewedToken && job.providerToken
          && this.#options.providerTokens.renewAfterExpired(job.providerToken)) {
          job.renewedToken = true;
          this.#resend(job);
          return undefined;
        }
        if (failure.class === 'retry') failure.retryAfterMs = this.#retryDelay(job);
        return failure;
      }
      case 'unprocessed':
        // APNs did not process it, so sending again cannot duplicate it. Refusals and GOAWAYs
        // count towards maxResends (a server that refuses or GOAWAYs forever); a handover past
        // a graceful GOAWAY that let others through does not, up to maxHandovers.
        if (result.counts ? job.resends < this.#options.maxResends : job.handovers < this.#options.maxHandovers) {
          if (result.counts) job.resends++;
          else job.handovers++;
          this.#resend(job);
          return undefined;
        }
        return {
          class: 'retry', status: 0, reason: 'RefusedStream', apnsId, retryAfterMs: this.#retryDelay(job),
          detail: `${LOCAL_REASONS.RefusedStream} Sent ${job.resends + job.handovers + 1} times; last: ${result.detail}.`,
        };
      case 'reset':
        return {
          class: 'retry', status: 0, reason: 'StreamReset', apnsId, retryAfterMs: this.#retryDelay(job),
          detail: result.detail === undefined
            ? `${LOCAL_REASONS.StreamReset} (RST_STREAM ${errorName(result.code)})`
            : `certpush reset the request stream with RST_STREAM ${errorName(result.code)}: ${result.detail}. APNs may or may not have taken the notification; send it again.`,
        };
      case 'lost':
        return { class: 'retry', status: 0, reason: 'ConnectionLost', detail: result.detail, apnsId, retryAfterMs: this.#retryDelay(job) };
      case 'timeout':
        return { class: 'retry', status: 0, reason: 'Timeout', detail: `APNs did not answer within ${this.#options.requestTimeoutMs} ms (requestTimeoutMs).`, apnsId, retryAfterMs: this.#retryDelay(job) };
    }
  }

  #retryDelay(job: Job): number {
    return backoffDelay(job.attempt ?? this.#consecutiveRetries++, this.#options.backoff, this.#options.random);
  }

  #resend(job: Job): void {
    this.#stats.resent++;
    this.#queue.unshift(job);
    // Called from inside a session's event; pump after it has updated its own state.
    queueMicrotask(() => this.#pump());
  }

  #finish(job: Job, outcome: Outcome): void {
    if (outcome.class === 'accepted') {
      this.#stats.accepted++;
      this.#consecutiveRetries = 0;
    } else {
      this.#stats.failed++;
    }
    // Callers hear in a microtask, a batch at a time: never from inside a session's event (their
    // code may send more, or throw), and without a promise per notification.
    this.#finishedJobs.push(job);
    this.#finishedOutcomes.push(outcome);
    if (this.#finishedJobs.length === 1) queueMicrotask(this.#dispatch);
    if (--this.#outstanding === 0) {
      this.#busy(false);
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  readonly #dispatch = (): void => {
    const jobs = this.#finishedJobs;
    const outcomes = this.#finishedOutcomes;
    this.#finishedJobs = [];
    this.#finishedOutcomes = [];
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      (job.done as (outcome: Outcome, context: unknown) => void)(outcomes[i]!, job.context);
    }
  };

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const session = this.#pick();
        if (session === undefined) {
          this.#maybeConnect();
          break;
        }
        const job = this.#queue.shift()!;
        const tokens = this.#options.providerTokens;
        let authorization: string | undefined;
        if (tokens) {
          job.providerToken = tokens.token();
          authorization = `bearer ${job.providerToken}`;
        }
        session.start(job, authorization);
      }
    } finally {
      this.#pumping = false;
    }
    let room = this.#options.maxQueued - this.#queue.length;
    while (room-- > 0 && this.#waiters.length > 0) this.#waiters.shift()!();
  }

  /** A ready session with a free stream, taking turns so load spreads. */
  #pick(): ApnsSession | undefined {
    const sessions = this.#sessions;
    for (let i = 0; i < sessions.length; i++) {
      const session = sessions[(this.#cursor + i) % sessions.length]!;
      if (session.hasRoom) {
        this.#cursor = (this.#cursor + i) % sessions.length;
        return session;
      }
    }
    return undefined;
  }

  #maybeConnect(): void {
    if (this.#sessions.some((s) => s.state === 'connecting')) return;
    if (this.#sessions.length >= this.#options.maxSessions) return;
    const o = this.#options;
    const wait = this.#reconnectAt - o.now();
    if (wait > 0 && this.#connectFailure !== undefined && this.#sessions.length === 0) {
      // Connecting failed moments ago: what waits fails now with that reason, instead of each
      // notification costing a handshake (or waiting out the backoff).
      const failure = this.#connectFailure;
      for (const job of this.#queue.drain()) this.settled(job, { kind: 'not-sent', failure });
      return;
    }
    if (wait > 0) {
      // Backing off: what is queued waits (bounded by queueTimeoutMs); pump again then.
      if (this.#reconnectTimer === undefined) {
        this.#reconnectTimer = setTimeout(() => {
          this.#reconnectTimer = undefined;
          this.#pump();
        }, wait);
      }
      return;
    }
    const session = new ApnsSession(this.#nextSessionId++, {
      endpoint: o.endpoint,
      tls: o.tls,
      transport: o.transport,
      maxConcurrentStreams: o.maxConcurrentStreams,
      requestTimeoutMs: o.requestTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      pingIntervalMs: o.pingIntervalMs,
      pingTimeoutMs: o.pingTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      now: o.now,
    }, this);
    this.#stats.sessionsOpened++;
    this.#sessions.push(session);
    this.#live.add(session);
    if (this.#outstanding === 0) session.hold(false);
  }

  /** Work outstanding or not: hold the process (every live session) and sweep the queue. */
  #busy(busy: boolean): void {
    for (const session of this.#live) session.hold(busy);
    if (busy) {
      const every = Math.max(10, Math.min(1000, Math.floor(this.#options.queueTimeoutMs / 4)));
      this.#sweepTimer = setInterval(() => this.#sweepQueue(), every);
      this.#sweepTimer.unref();
    } else {
      clearInterval(this.#sweepTimer);
      this.#sweepTimer = undefined;
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = undefined;
    }
  }

  /** Queued notifications past queueTimeoutMs get a Timeout outcome: nothing waits forever. */
  #sweepQueue(): void {
    if (this.#queue.length === 0) return;
    const expired = this.#options.now() - this.#options.queueTimeoutMs;
    const late = this.#queue.removeWhere((job) => job.submittedAt <= expired);
    if (late.length === 0) return;
    const detail = `No stream to APNs came free within ${this.#options.queueTimeoutMs} ms of sending (queueTimeoutMs); it was never sent.`;
    for (const job of late) {
      this.#finish(job, { class: 'retry', status: 0, reason: 'Timeout', detail, apnsId: job.request.apnsId, retryAfterMs: this.#retryDelay(job) });
    }
    this.#pump();
  }
}

/** Why connecting failed, as an outcome: our certificate refused is a credential problem. */
function connectFailure(error: Error, endpoint: Endpoint): Failed {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE)|CERTIFICATE_REQUIRED/.test(code)) {
    return { class: 'credential', status: 0, reason: 'ConnectionFailed', detail: `${endpoint.url} refused our client certificate during the TLS handshake (${code}). Check that the certificate is valid, not revoked, and for this environment.` };
  }
  if (/CERT|SELF_SIGNED|ISSUER|ALTNAME|VERIFY/.test(code)) {
    return { class: 'retry', status: 0, reason: 'ConnectionFailed', detail: `The server certificate of ${endpoint.url} is not trusted (${code}: ${error.message}). For a simulator, pass its CA certificate (option ca / --ca).` };
  }
  return { class: 'retry', status: 0, reason: 'ConnectionFailed', detail: `${LOCAL_REASONS.ConnectionFailed} ${endpoint.url}: ${error.message}` };
}
