// The transport over node:http2: the same requests, limits and outcomes as certpush's wire, for
// anyone who would rather trust Node's HTTP/2 (nghttp2) — and so the wire can be measured
// against it (bench/apns). It costs more CPU per notification (a Duplex stream and a header
// object per request), which is why it is not the default.
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { ErrorCode } from '../http2/frames.ts';
import type { PreparedRequest } from '../notification.ts';
import { DEVICE_PATH_PREFIX } from '../request-rules.ts';
import { goawayCause, protocolErrorCause, socketCause } from './close-cause.ts';
import type { CloseCause, Transport, TransportEvents, TransportOptions, TransportStreamListener } from './transport.ts';

interface OpenStream<L> {
  readonly id: number;
  readonly request: http2.ClientHttp2Stream;
  readonly listener: L;
}

/** Our per-stream receive window, as on the wire: the server never waits on us. */
const STREAM_RECEIVE_WINDOW = 1 << 20;
const EMPTY = Buffer.alloc(0);
const END_STREAM = 0x1;

export class NodeHttp2Transport<L extends TransportStreamListener> implements Transport<L> {
  readonly #session: http2.ClientHttp2Session;
  readonly #events: TransportEvents;
  readonly #authority: string;
  readonly #streams = new Map<number, OpenStream<L>>();
  #ready = false;
  #goingAway = false;
  #closed = false;
  #goawayLastStreamId = -1;
  /** The first thing known about why it closes. */
  #cause: CloseCause | undefined;
  /** Keys for streams nghttp2 gave no id (it failed to open them). */
  #nextOrphanId = -1;

  constructor(options: TransportOptions, events: TransportEvents) {
    this.#events = events;
    this.#authority = options.authority;
    const session = http2.connect(`https://${options.authority}`, {
      ...options.tls,
      host: options.host,
      port: options.port,
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      settings: { enablePush: false, initialWindowSize: STREAM_RECEIVE_WINDOW },
      // Until the server's SETTINGS say otherwise its stream limit is unlimited (RFC 9113
      // §6.5.2), as on the wire — not node's assumed 100; canOpenStream follows remoteSettings.
      peerMaxConcurrentStreams: 2 ** 32 - 1,
    });
    this.#session = session;
    // A TLS alert after the handshake (a server refusing the client certificate under TLS 1.3)
    // reaches only the socket: node:http2 then emits neither 'error' nor 'close' on the
    // session, and the process can exit with every notification unanswered. Close from here.
    // The socket also hears errors node:http2 found itself (ERR_HTTP2_ERROR, before the
    // session's 'error'): nodeCause words those as the session handler would.
    session.socket?.once('error', (error: NodeJS.ErrnoException) => {
      this.#cause ??= nodeCause(error);
      this.destroy();
    });
    session.on('remoteSettings', () => {
      if (this.#ready) return events.settings();
      this.#ready = true;
      events.ready();
    });
    session.on('goaway', (code: number, lastStreamId: number, data: Buffer | undefined) => {
      this.#goingAway = true;
      this.#goawayLastStreamId = this.#goawayLastStreamId < 0 ? lastStreamId : Math.min(lastStreamId, this.#goawayLastStreamId);
      if (code !== ErrorCode.NO_ERROR) this.#cause ??= goawayCause(code, debugReason(data));
      events.goaway(lastStreamId, code, data ?? EMPTY);
    });
    session.on('error', (error: NodeJS.ErrnoException) => { this.#cause ??= nodeCause(error); });
    // An error nghttp2 found in the server's frames: it has sent GOAWAY(code) already.
    session.on('frameError', () => {});
    session.on('close', () => this.#onClose());
  }

  get active(): number {
    return this.#streams.size;
  }

  get remoteMaxConcurrentStreams(): number {
    return this.#ready ? this.#session.remoteSettings.maxConcurrentStreams ?? Infinity : Infinity;
  }

  get canOpenStream(): boolean {
    return this.#ready && !this.#goingAway && !this.#closed && !this.#session.closed && !this.#session.destroyed
      && this.#streams.size < this.remoteMaxConcurrentStreams;
  }

  request(r: PreparedRequest, authorization: string | undefined, listener: L): number {
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':scheme': 'https',
      ':authority': this.#authority,
      ':path': DEVICE_PATH_PREFIX + r.token,
    };
    if (authorization !== undefined) headers.authorization = authorization;
    headers['apns-id'] = r.apnsId;
    headers['apns-topic'] = r.topic;
    headers['apns-push-type'] = r.pushType;
    if (r.priority !== undefined) headers['apns-priority'] = r.priority;
    if (r.expiration !== undefined) headers['apns-expiration'] = r.expiration;
    if (r.collapseId !== undefined) headers['apns-collapse-id'] = r.collapseId;
    let request: http2.ClientHttp2Stream;
    try {
      request = this.#session.request(headers, { endStream: r.body.length === 0 });
    } catch (error) {
      // node:http2 refuses new streams once it is going away (GOAWAY, ids used up): the
      // request never left, so it is unprocessed. Told from a microtask, as a reset would be.
      this.#goingAway = true;
      const id = this.#nextOrphanId--;
      queueMicrotask(() => {
        listener.onReset(-1, true, socketCause(error as Error));
        this.#events.exhausted();
      });
      return id;
    }
    const stream: OpenStream<L> = { id: request.id ?? this.#nextOrphanId--, request, listener };
    this.#streams.set(stream.id, stream);
    const finish = (fields: string[] | undefined): void => {
      this.#streams.delete(stream.id);
      if (fields === undefined) listener.onData(EMPTY, true);
      else listener.onHeaders(fields, true);
      this.#events.streamClosed();
    };
    request.on('response', (fields: http2.IncomingHttpHeaders, flags: number) => {
      if (this.#streams.get(stream.id) !== stream) return;
      // END_STREAM on the headers: done now, as on the wire (so the slot is free at once).
      if (flags & END_STREAM) finish(fieldList(fields));
      else listener.onHeaders(fieldList(fields), false);
    });
    request.on('data', (chunk: Buffer) => {
      if (this.#streams.get(stream.id) === stream) listener.onData(chunk, false);
    });
    // node:http2 ends the readable side also when it destroys the stream with the session (and
    // then with rstCode NO_ERROR), so 'end' is END_STREAM only while the session is alive.
    request.on('end', () => {
      if (this.#streams.get(stream.id) === stream && !this.#session.destroyed && !this.#closed) finish(undefined);
    });
    // Stream errors arrive on 'close' with rstCode; 'error' must be listened to or it throws.
    request.on('error', () => {});
    request.on('close', () => {
      if (this.#streams.get(stream.id) !== stream) return;
      this.#streams.delete(stream.id);
      this.#reset(stream, this.#session.destroyed || this.#closed ? -1 : request.rstCode ?? -1);
      this.#events.streamClosed();
    });
    if (r.body.length > 0) request.end(r.body);
    return stream.id;
  }

  listeners(): L[] {
    return [...this.#streams.values()].map((stream) => stream.listener);
  }

  cancel(id: number, code: number): void {
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    this.#streams.delete(id);
    stream.request.close(code);
    this.#events.streamClosed();
  }

  ping(): void {
    if (this.#session.destroyed || this.#session.closed) return;
    this.#session.ping((error) => { if (!error) this.#events.pingAck(); });
  }

  close(): void {
    this.#goingAway = true;
    if (!this.#session.closed && !this.#session.destroyed) this.#session.close();
  }

  destroy(cause?: CloseCause): void {
    this.#cause ??= cause;
    // node:http2 closes a session by ending its socket and waits for the server to end its
    // side too, which a server may never do: then 'close' never comes. Cut the socket off
    // after a moment (its GOAWAY has left by then), and close here if node still does not.
    const socket = this.#session.socket as Socket | undefined;
    if (!this.#session.destroyed) this.#session.destroy();
    setImmediate(() => {
      socket?.destroy();
      setImmediate(() => this.#onClose());
    });
  }

  ref(): void {
    this.#session.ref();
  }

  unref(): void {
    this.#session.unref();
  }

  #reset(stream: OpenStream<L>, code: number): void {
    const aboveGoaway = this.#goawayLastStreamId >= 0 && stream.id > this.#goawayLastStreamId;
    if (code === -1) stream.listener.onReset(-1, aboveGoaway, this.#cause);
    else stream.listener.onReset(code, code === ErrorCode.REFUSED_STREAM || aboveGoaway);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#goingAway = true;
    // node:http2 says nothing when the socket just ends or resets.
    if (this.#streams.size > 0) this.#cause ??= socketCause(new Error('the server closed the connection without GOAWAY'));
    const open = [...this.#streams.values()];
    this.#streams.clear();
    for (const stream of open) this.#reset(stream, -1);
    this.#events.closed(this.#cause);
  }
}

/** node:http2's header object as [name, value, …], :status first. */
function fieldList(headers: http2.IncomingHttpHeaders): string[] {
  const fields: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) fields.push(name, v);
    else fields.push(name, String(value));
  }
  return fields;
}

function debugReason(data: Buffer | undefined): string | undefined {
  if (data === undefined || data.length === 0) return undefined;
  const text = data.toString('utf8');
  try {
    return (JSON.parse(text) as { reason?: string }).reason ?? text;
  } catch {
    return text;
  }
}

/**
 * node:http2's session error as a cause. nghttp2 reports a protocol error it found in the
 * server's frames as ERR_HTTP2_ERROR (it has already sent GOAWAY); a GOAWAY from the server as
 * ERR_HTTP2_SESSION_ERROR (handled by the goaway event first); anything else is TLS or TCP.
 */
function nodeCause(error: NodeJS.ErrnoException): CloseCause {
  if (error.code === 'ERR_HTTP2_ERROR') return protocolErrorCause(nghttpErrorCode(error.message), error.message, error, 'certpush (node:http2)');
  if (error.code === 'ERR_HTTP2_SESSION_ERROR') {
    const code = Number(/error code (\d+)/.exec(error.message)?.[1] ?? ErrorCode.INTERNAL_ERROR);
    return goawayCause(code, undefined);
  }
  return socketCause(error);
}

/** The HTTP/2 error code nghttp2 sends for the library error it reports. */
function nghttpErrorCode(message: string): number {
  if (/compression|header block|HPACK/i.test(message)) return ErrorCode.COMPRESSION_ERROR;
  if (/flow control|window/i.test(message)) return ErrorCode.FLOW_CONTROL_ERROR;
  if (/frame size/i.test(message)) return ErrorCode.FRAME_SIZE_ERROR;
  return ErrorCode.PROTOCOL_ERROR;
}
