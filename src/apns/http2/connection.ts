import type { Duplex } from 'node:stream';
import tls, { type SecureContextOptions } from 'node:tls';
import { closeCause, type CloseCause, Http2ConnectionError } from './close-cause.ts';
import { type Frame, FrameReader, unpad } from './frame-reader.ts';
import { FrameWriter, writeFrameHeader } from './frame-writer.ts';
import { CLIENT_PREFACE, DEFAULT_MAX_FRAME_SIZE, DEFAULT_WINDOW, ErrorCode, Flag, FRAME_HEADER_BYTES, FrameType, MAX_STREAM_ID, Setting } from './frames.ts';
import { growWindow, ReceiveWindow } from './flow-control.ts';
import { EncoderTableSize, HpackDecoder, HpackError, TABLE_SIZE_UPDATE_MAX_BYTES } from './hpack.ts';
import { AWAITING_HEADERS, type ResponseProgress, takeData, takeHeaderBlock } from './response-framing.ts';
import { StreamTable } from './stream-table.ts';

export type { CloseCause } from './close-cause.ts';

/** What happens on one request stream. */
export interface StreamListener {
  /** A header block (the response's, or trailers). Fields are [name, value, …]. */
  onHeaders(fields: string[], endStream: boolean): void;
  /** Response body bytes (a view into a read buffer: copy to keep). */
  onData(data: Buffer, endStream: boolean): void;
  /**
   * The stream ended without a complete response: `code` is the RST_STREAM code (the server's,
   * or ours for a malformed response), or -1 when the connection went away. `unprocessed`: the
   * server certainly did not process it (REFUSED_STREAM, or above a GOAWAY's last stream id),
   * so it may be sent again. `cause` says who ended it and why (the connection's close cause
   * when the connection went away).
   */
  onReset(code: number, unprocessed: boolean, cause?: CloseCause): void;
}

/** What the connection tells its owner. */
export interface ConnectionEvents {
  /** TLS is up, HTTP/2 agreed, and the server's first SETTINGS arrived. */
  ready(): void;
  /**
   * Room for streams may have grown: the server changed its SETTINGS (e.g.
   * MAX_CONCURRENT_STREAMS), or the socket drained after write backpressure.
   */
  settings(): void;
  /** A stream closed: a slot is free. */
  streamClosed(): void;
  goaway(lastStreamId: number, code: number, debug: Buffer): void;
  pingAck(): void;
  /**
   * Stream ids are used up (RFC 9113 §5.1.1): no new streams here; the connection closes once
   * its open streams end. Open another connection for new work. Fires on the tick after the
   * request that used the last id (`exhausted` and `canOpenStream` change at once).
   */
  exhausted?(): void;
  /** The connection is closed; every open stream got onReset first. `cause` says why. */
  closed(error: Error | undefined, cause?: CloseCause): void;
}

/** Where to connect: TLS with ALPN h2 (APNs). */
export interface TlsTarget {
  host: string;
  port: number;
  servername: string | undefined;
  tls: SecureContextOptions;
}

/** A transport already connected and agreed on h2 (tests, a proxy tunnel). */
export interface SocketTarget {
  socket: Duplex;
}

/** Limits, each with a default fit for APNs; tests lower them. */
export interface ConnectionLimits {
  /** The last stream id to use (RFC 9113 §5.1.1: 2^31−1). */
  maxStreamId?: number;
  /** Our SETTINGS_INITIAL_WINDOW_SIZE (each stream's receive window). */
  streamReceiveWindow?: number;
  /** The connection's receive window. */
  connectionReceiveWindow?: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE. */
  maxHeaderListSize?: number;
}

export type ConnectionOptions = (TlsTarget | SocketTarget) & ConnectionLimits;

/** Our receive windows: large, so the server never waits on us for APNs' small answers. */
const STREAM_RECEIVE_WINDOW = 1 << 20;
const CONNECTION_RECEIVE_WINDOW = 1 << 24;
/** Frames we accept at most (our SETTINGS_MAX_FRAME_SIZE, the default). */
const OUR_MAX_FRAME_SIZE = DEFAULT_MAX_FRAME_SIZE;
/**
 * Our SETTINGS_MAX_HEADER_LIST_SIZE. APNs answers with two or three fields; 64 KiB leaves room
 * for the 30–40 KB blocks some servers send and bounds what a hostile one can make us hold.
 */
const MAX_HEADER_LIST_SIZE = 64 * 1024;
/**
 * CONTINUATION frames we accept per header block (CVE-2024-27316: endless CONTINUATIONs, empty
 * or not, cost memory and CPU). A 64 KiB block needs 4 frames at the default frame size.
 */
const MAX_CONTINUATIONS = 32;
/**
 * Bytes of unsent output at which we stop writing DATA and opening streams until the socket
 * drains. Above the socket's 16 KiB high-water mark on purpose: one event-loop turn of a busy
 * connection writes more than that, and waiting for 'drain' each turn would halve throughput.
 */
const WRITE_BUFFER_LIMIT = 256 * 1024;
/**
 * Answers (PING and SETTINGS ACKs, RST_STREAMs) we queue at most while the server does not read
 * what we write: a server flooding PINGs without reading would otherwise grow our buffer for
 * ever (the CVE-2019-9512 class). nghttp2 draws the same line at 1,000.
 */
const MAX_QUEUED_ANSWERS = 1000;
/**
 * Stream ids the server closed that we remember, to tell "closed by the server" (a frame on it
 * is STREAM_CLOSED) from "reset by us" (ignored): a ring, written once per stream, read only
 * for frames on streams no longer open.
 */
const PEER_CLOSED_KEPT = 256;
/** How long our GOAWAY may take to leave before the socket is destroyed anyway. */
const LINGER_MS = 1000;
/**
 * ALPN's "h2" in wire form, given to Node as a DataView on purpose. Node copies what it is
 * given and keeps the copy for the socket's life; an array or a Buffer is copied into a slice of
 * its shared 64 KB Buffer pool, so each long-lived session kept a whole slab resident (28 slabs,
 * 1.75 MB, in a heap snapshot of the service benchmark with 100 sessions). A DataView is
 * copied into an ArrayBuffer of its own, 3 bytes. Node documents DataView for ALPNProtocols.
 */
const H2_ALPN = new DataView(Uint8Array.of(2, 0x68, 0x32).buffer);

class OpenStream<L extends StreamListener> implements ResponseProgress {
  readonly id: number;
  readonly listener: L;
  sendWindow: number;
  /** Made on the first DATA: APNs' 200s have none, and most streams never need one. */
  receiveWindow: ReceiveWindow | undefined = undefined;
  body: Buffer | null;
  sent = 0;
  phase = AWAITING_HEADERS;
  contentLength = -1;
  received = 0;

  constructor(id: number, listener: L, sendWindow: number, body: Buffer | null) {
    this.id = id;
    this.listener = listener;
    this.sendWindow = sendWindow;
    this.body = body;
  }
}

/**
 * A client-side HTTP/2 connection (RFC 9113), just what an APNs provider needs: requests with a
 * small body, responses, flow control both ways, SETTINGS, PING, GOAWAY, RST_STREAM. Bytes are
 * cut into frames by `FrameReader` and built by `FrameWriter`; this class is the state machine
 * between them. Frames written in one turn of the event loop leave in one TLS write.
 *
 * Why not node:http2 (DESIGN.md's default for the wire): measured here, the same client on
 * node:http2 cost 45–75 µs of CPU per notification — no better than @parse/node-apn's ~40 µs —
 * because of the Duplex stream, async resources and header objects per request; on this wire it
 * costs ~10–16 µs. Node's http2 server stays in the simulator, so the two are checked against
 * each other (and against curl and node-apn) on every test run; `test/apns/http2/conformance`
 * drives it frame by frame against the RFC.
 */
export class Http2ClientConnection<L extends StreamListener = StreamListener> {
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS (unlimited until it says). */
  remoteMaxConcurrentStreams = Infinity;
  /** Streams open now. */
  active = 0;
  isReady = false;
  isClosed = false;
  /** No new streams: GOAWAY received, close() called, or stream ids used up. */
  goingAway = false;
  /** Stream ids are used up: this connection takes no new streams. */
  exhausted = false;
  /** From the server's GOAWAY; -1 until one arrives. */
  goawayLastStreamId = -1;
  readonly #socket: Duplex;
  readonly #events: ConnectionEvents;
  readonly #streams = new StreamTable<OpenStream<L>>();
  readonly #decoder: HpackDecoder;
  readonly #tableSize = new EncoderTableSize();
  readonly #reader = new FrameReader(OUR_MAX_FRAME_SIZE);
  readonly #writer: FrameWriter;
  readonly #blocked: Array<OpenStream<L>> = [];
  readonly #maxStreamId: number;
  readonly #streamReceiveWindow: number;
  readonly #receiveWindow: ReceiveWindow;
  readonly #maxHeaderListSize: number;
  #nextStreamId = 1;
  #sendWindow = DEFAULT_WINDOW;
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  #flushScheduled = false;
  #sawSettings = false;
  #headerStreamId = 0;
  #headerEndStream = false;
  #headerFragments: Buffer[] = [];
  #headerBytes = 0;
  #continuations = 0;
  #error: Error | undefined;
  #cause: CloseCause | undefined;
  #closeWhenIdle = false;
  #goawaySent = false;
  #started = false;
  #writeBlocked = false;
  readonly #peerClosed = new Int32Array(PEER_CLOSED_KEPT);
  #peerClosedAt = 0;
  #queuedAnswers = 0;
  #ending = false;
  #linger: NodeJS.Timeout | undefined;
  /** While a listener hears the frame that ended its stream, a graceful close waits (see #endedByPeer). */
  #holdGoodbye = false;
  #goodbyeHeld: string | undefined;

  constructor(options: ConnectionOptions, events: ConnectionEvents) {
    this.#events = events;
    this.#maxStreamId = options.maxStreamId ?? MAX_STREAM_ID;
    this.#streamReceiveWindow = options.streamReceiveWindow ?? STREAM_RECEIVE_WINDOW;
    this.#receiveWindow = new ReceiveWindow(options.connectionReceiveWindow ?? CONNECTION_RECEIVE_WINDOW);
    this.#maxHeaderListSize = options.maxHeaderListSize ?? MAX_HEADER_LIST_SIZE;
    this.#decoder = new HpackDecoder(4096, this.#maxHeaderListSize);
    this.#writer = new FrameWriter((chunk) => this.#write(chunk));
    if ('socket' in options) {
      this.#socket = options.socket;
      this.#start();
    } else {
      const socket = tls.connect({
        ...options.tls,
        host: options.host,
        port: options.port,
        servername: options.servername,
        ALPNProtocols: H2_ALPN,
      });
      this.#socket = socket;
      socket.once('secureConnect', () => {
        if (socket.alpnProtocol !== 'h2') {
          this.destroy(new Error(`${options.host}:${options.port} does not speak HTTP/2 (ALPN gave ${socket.alpnProtocol || 'nothing'})`));
          return;
        }
        socket.setNoDelay(true);
        this.#start();
      });
    }
    const socket = this.#socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => { this.#error ??= error; });
    socket.on('drain', () => this.#onDrain());
    socket.on('close', () => {
      clearTimeout(this.#linger);
      this.#onClose();
    });
  }

  /** Whether a new stream may be opened now. */
  get canOpenStream(): boolean {
    return this.isReady && !this.goingAway && !this.isClosed && !this.#writeBlocked && this.active < this.remoteMaxConcurrentStreams;
  }

  /** Why the connection closed (set before any stream hears onReset), or undefined while open. */
  get closeCause(): CloseCause | undefined {
    return this.isClosed ? this.#cause : undefined;
  }

  /**
   * Open a stream: HEADERS (the block written by `encode` into at most `maxHeaderBytes`) and the
   * body as DATA, as flow control allows. Returns the stream id.
   */
  request<T>(encode: (out: Buffer, at: number, arg: T) => number, arg: T, maxHeaderBytes: number, body: Buffer, listener: L): number {
    if (this.#nextStreamId > this.#maxStreamId) throw new Error('no HTTP/2 stream ids left on this connection: open another one');
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const stream = new OpenStream(id, listener, this.#peerInitialWindow, body.length > 0 ? body : null);
    this.#streams.add(stream);
    this.active++;
    const flags = Flag.END_HEADERS | (body.length === 0 ? Flag.END_STREAM : 0);
    const writer = this.#writer;
    const at = writer.reserve(FRAME_HEADER_BYTES + TABLE_SIZE_UPDATE_MAX_BYTES + maxHeaderBytes);
    const out = writer.buffer;
    // RFC 7541 §4.2: a block after a change of the server's SETTINGS_HEADER_TABLE_SIZE starts
    // with a dynamic table size update. Written here, so `encode` only writes fields.
    const fieldsAt = this.#tableSize.writeUpdate(out, at + FRAME_HEADER_BYTES);
    const end = encode(out, fieldsAt, arg);
    const length = end - at - FRAME_HEADER_BYTES;
    if (length <= this.#peerMaxFrameSize) {
      writeFrameHeader(out, at, length, FrameType.HEADERS, flags, id);
      writer.commit(end);
    } else {
      // RFC 9113 §6.10: a block larger than a frame continues in CONTINUATION frames.
      const block = Buffer.from(out.subarray(at + FRAME_HEADER_BYTES, end));
      writer.commit(at);
      for (let from = 0; from < block.length; from += this.#peerMaxFrameSize) {
        const piece = block.subarray(from, from + this.#peerMaxFrameSize);
        const last = from + this.#peerMaxFrameSize >= block.length;
        const type = from === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
        const pieceFlags = (last ? Flag.END_HEADERS : 0) | (from === 0 ? flags & Flag.END_STREAM : 0);
        writer.frame(type, pieceFlags, id, piece);
      }
    }
    if (stream.body !== null && !this.#sendBody(stream)) this.#blocked.push(stream);
    this.#scheduleFlush();
    if (this.#nextStreamId > this.#maxStreamId) this.#exhaust();
    return id;
  }

  /** The listeners of the open streams (a snapshot). */
  listeners(): L[] {
    return this.#streams.values().map((stream) => stream.listener);
  }

  /**
   * Abandon a stream (RST_STREAM): its slot is free at once and its listener hears nothing
   * more. Frames the server had already sent on it are ignored (RFC 9113 §5.1, "closed"), while
   * still counting toward the connection's flow control and HPACK state.
   */
  cancel(id: number, code: number = ErrorCode.CANCEL): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#writer.rstStream(id, code);
    this.#scheduleFlush();
    this.#closeStream(stream);
  }

  /** Send a PING; `pingAck` fires when the server answers. */
  ping(): void {
    this.#writer.ping(0);
    this.#flush();
  }

  /**
   * Open no more streams; say goodbye (GOAWAY) and end the socket once the open ones are done —
   * or at once when the server already sent GOAWAY (it may never end them; the process must be
   * able to exit).
   */
  close(): void {
    if (this.isClosed) return;
    this.goingAway = true;
    this.#closeWhenIdle = true;
    if (this.active === 0 || this.goawayLastStreamId >= 0) this.#goodbye('closed by certpush');
  }

  /** Close now; open streams hear onReset(-1). */
  destroy(error?: Error): void {
    if (this.isClosed) return;
    this.#error ??= error;
    this.#cause ??= closeCause(-1, 'certpush', error?.message ?? 'destroyed');
    this.#socket.destroy();
  }

  ref(): void {
    (this.#socket as { ref?: () => void }).ref?.();
  }

  unref(): void {
    (this.#socket as { unref?: () => void }).unref?.();
  }

  // --- reading ---

  #start(): void {
    this.#started = true;
    this.#writer.raw(CLIENT_PREFACE);
    this.#writer.settings(0, [
      [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, this.#streamReceiveWindow],
      [Setting.MAX_HEADER_LIST_SIZE, this.#maxHeaderListSize],
    ]);
    const extra = this.#receiveWindow.size - DEFAULT_WINDOW;
    if (extra > 0) this.#writer.windowUpdate(0, extra);
    // Until the server sees our WINDOW_UPDATE it may send at most the default window.
    this.#flush();
  }

  #onData(chunk: Buffer): void {
    if (this.isClosed) return;
    const reader = this.#reader;
    reader.push(chunk);
    while (reader.next()) {
      try {
        this.#onFrame(reader.frame);
      } catch (error) {
        if (error instanceof HpackError) return this.#connectionError(ErrorCode.COMPRESSION_ERROR, `bad header block: ${error.message}`);
        throw error;
      }
      if (this.isClosed) return;
    }
    if (reader.error) return this.#connectionError(reader.error.code, reader.error.message);
    const increment = this.#receiveWindow.takeUpdate();
    if (increment > 0) this.#writer.windowUpdate(0, increment);
    if (this.#writer.pending > 0) this.#scheduleFlush();
  }

  #onFrame(frame: Frame): void {
    const { type, flags, id } = frame;
    // RFC 9113 §3.4: the server's preface is a SETTINGS frame.
    if (!this.#sawSettings) {
      if (type !== FrameType.SETTINGS || (flags & Flag.ACK)) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, `the server's first frame was type ${type}, not SETTINGS`);
      this.#sawSettings = true;
    }
    // §6.10: nothing may come between HEADERS and the CONTINUATION that ends its block.
    if (this.#headerStreamId !== 0 && type !== FrameType.CONTINUATION) {
      return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'a frame came between HEADERS and its CONTINUATION');
    }
    switch (type) {
      case FrameType.DATA: return this.#onDataFrame(frame);
      case FrameType.HEADERS: return this.#onHeadersFrame(frame);
      case FrameType.CONTINUATION: return this.#onContinuation(frame);
      case FrameType.RST_STREAM: return this.#onRstStream(frame);
      case FrameType.SETTINGS: return this.#onSettings(frame);
      case FrameType.PUSH_PROMISE:
        // §8.4: we sent ENABLE_PUSH 0.
        return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE although we disabled push');
      case FrameType.PING: return this.#onPing(frame);
      case FrameType.GOAWAY: return this.#onGoaway(frame);
      case FrameType.WINDOW_UPDATE: return this.#onWindowUpdate(frame);
      case FrameType.PRIORITY:
        // §6.3: ignored, but its shape is checked.
        if (id === 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (frame.end - frame.start !== 5) return this.#streamError(id, ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY not 5 bytes long');
        return;
      default:
        // §4.1, §5.5: unknown frame types are ignored.
        return;
    }
  }

  /**
   * §5.1: a frame on a stream we never opened ("idle": an odd id we have not used, or any even
   * id, since we accept no pushed streams) is a PROTOCOL_ERROR. True when that was the case.
   */
  #onIdleStream(id: number, what: string): boolean {
    if ((id & 1) === 1 && id < this.#nextStreamId) return false;
    this.#connectionError(ErrorCode.PROTOCOL_ERROR, `${what} on stream ${id}, which we never opened`);
    return true;
  }

  #onDataFrame(frame: Frame): void {
    const { flags, id } = frame;
    if (id === 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    if (this.#onIdleStream(id, 'DATA')) return;
    // §6.9.1: the whole payload, padding included, counts against both windows.
    const length = frame.end - frame.start;
    if (!this.#receiveWindow.receive(length)) return this.#connectionError(ErrorCode.FLOW_CONTROL_ERROR, `DATA beyond the connection's receive window of ${this.#receiveWindow.size}`);
    const range = unpad(frame);
    if (!Array.isArray(range)) return this.#connectionError(range.code, range.message);
    const stream = this.#streams.get(id);
    if (!stream) return this.#onClosedStream(id, 'DATA');
    stream.receiveWindow ??= new ReceiveWindow(this.#streamReceiveWindow);
    if (!stream.receiveWindow.receive(length)) return this.#streamError(id, ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the stream\'s receive window');
    const [from, to] = range;
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const malformed = takeData(stream, to - from, endStream);
    if (malformed) return this.#streamError(id, ErrorCode.PROTOCOL_ERROR, malformed);
    if (!endStream) {
      const increment = stream.receiveWindow.takeUpdate();
      if (increment > 0) this.#writer.windowUpdate(id, increment);
      return stream.listener.onData(frame.data.subarray(from, to), false);
    }
    this.#endedByPeer(stream, () => stream.listener.onData(frame.data.subarray(from, to), true));
  }

  #onHeadersFrame(frame: Frame): void {
    const { flags, id } = frame;
    if (id === 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    if (this.#onIdleStream(id, 'HEADERS')) return;
    const range = unpad(frame, flags & Flag.PRIORITY ? 5 : 0);
    if (!Array.isArray(range)) return this.#connectionError(range.code, range.message);
    const [from, to] = range;
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (to - from > this.#maxHeaderBlockBytes()) return this.#connectionError(ErrorCode.ENHANCE_YOUR_CALM, `a header block above ${this.#maxHeaderBlockBytes()} bytes`);
    if (flags & Flag.END_HEADERS) return this.#onHeaderBlock(id, frame.data, from, to, endStream);
    this.#headerStreamId = id;
    this.#headerEndStream = endStream;
    this.#headerFragments = [Buffer.from(frame.data.subarray(from, to))];
    this.#headerBytes = to - from;
    this.#continuations = 0;
  }

  #onContinuation(frame: Frame): void {
    const { flags, id, data, start, end } = frame;
    if (id === 0 || id !== this.#headerStreamId) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without its HEADERS');
    // CVE-2024-27316: a block is bounded in bytes and in frames, or a server can make us hold
    // (and walk) CONTINUATIONs for ever.
    this.#headerBytes += end - start;
    if (++this.#continuations > MAX_CONTINUATIONS) return this.#connectionError(ErrorCode.ENHANCE_YOUR_CALM, `more than ${MAX_CONTINUATIONS} CONTINUATION frames in one header block`);
    if (this.#headerBytes > this.#maxHeaderBlockBytes()) return this.#connectionError(ErrorCode.ENHANCE_YOUR_CALM, `a header block above ${this.#maxHeaderBlockBytes()} bytes`);
    this.#headerFragments.push(Buffer.from(data.subarray(start, end)));
    if (flags & Flag.END_HEADERS) {
      const block = Buffer.concat(this.#headerFragments);
      this.#headerStreamId = 0;
      this.#headerFragments = [];
      this.#onHeaderBlock(id, block, 0, block.length, this.#headerEndStream);
    }
  }

  /** The most compressed header block bytes we hold: the list limit plus framing slack. */
  #maxHeaderBlockBytes(): number {
    return this.#maxHeaderListSize + DEFAULT_MAX_FRAME_SIZE;
  }

  #onHeaderBlock(id: number, block: Buffer, start: number, end: number, endStream: boolean): void {
    // Decode even for a stream we dropped: the dynamic table must stay in step with the server.
    const fields = this.#decoder.decode(block, start, end);
    const stream = this.#streams.get(id);
    if (!stream) return this.#onClosedStream(id, 'HEADERS');
    if (this.#decoder.listTooLarge) return this.#streamError(id, ErrorCode.PROTOCOL_ERROR, `response headers above our SETTINGS_MAX_HEADER_LIST_SIZE of ${this.#maxHeaderListSize}`);
    // §8.1: 1xx, the final header block, DATA, trailers — in that order.
    const malformed = takeHeaderBlock(stream, fields, endStream);
    if (malformed) return this.#streamError(id, ErrorCode.PROTOCOL_ERROR, malformed);
    if (!endStream) return stream.listener.onHeaders(fields, false);
    this.#endedByPeer(stream, () => stream.listener.onHeaders(fields, true));
  }

  /**
   * The server ended `stream`: its slot is free before the listener hears the last frame (so
   * the owner can use it at once), but a close that frees the connection's last stream waits
   * until the listener has heard it — the stream's answer comes before the connection's close.
   */
  #endedByPeer(stream: OpenStream<L>, tell: () => void): void {
    this.#holdGoodbye = true;
    try {
      this.#peerEnded(stream);
      tell();
    } finally {
      this.#holdGoodbye = false;
      if (this.#goodbyeHeld !== undefined) {
        const detail = this.#goodbyeHeld;
        this.#goodbyeHeld = undefined;
        this.#goodbye(detail);
      }
    }
  }

  /**
   * The server ended its side. If our body is not all sent, §8.1: the response is complete
   * (e.g. an early error), so we stop sending and close our side with RST_STREAM(NO_ERROR).
   */
  #peerEnded(stream: OpenStream<L>): void {
    if (stream.body !== null) this.#writer.rstStream(stream.id, ErrorCode.NO_ERROR);
    this.#rememberPeerClosed(stream.id);
    this.#closeStream(stream);
  }

  /**
   * DATA or HEADERS on a stream that is no longer open. §5.1: after the server ended it
   * (END_STREAM or RST_STREAM) that is a stream error STREAM_CLOSED; after we reset it, frames
   * the server sent before seeing our RST_STREAM are ignored.
   */
  #onClosedStream(id: number, what: string): void {
    if (this.#peerClosed.includes(id)) this.#streamError(id, ErrorCode.STREAM_CLOSED, `${what} after the server closed stream ${id}`);
  }

  /** Streams the server closed, the last PEER_CLOSED_KEPT of them (older ones: ignored). */
  #rememberPeerClosed(id: number): void {
    this.#peerClosed[this.#peerClosedAt] = id;
    this.#peerClosedAt = (this.#peerClosedAt + 1) % PEER_CLOSED_KEPT;
  }

  #onRstStream(frame: Frame): void {
    const { id, data, start, end } = frame;
    if (id === 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (end - start !== 4) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, `RST_STREAM of ${end - start} bytes, not 4`);
    if (this.#onIdleStream(id, 'RST_STREAM')) return;
    const stream = this.#streams.get(id);
    if (!stream) return;
    const code = data.readUInt32BE(start);
    this.#rememberPeerClosed(id);
    this.#closeStream(stream);
    stream.listener.onReset(code, code === ErrorCode.REFUSED_STREAM, closeCause(code, 'peer', 'RST_STREAM'));
  }

  #onPing(frame: Frame): void {
    const { flags, id, data, start, end } = frame;
    if (id !== 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, `PING on stream ${id}`);
    if (end - start !== 8) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, `PING of ${end - start} bytes, not 8`);
    if (flags & Flag.ACK) return this.#events.pingAck();
    if (this.#answerFlood()) return;
    this.#writer.ping(Flag.ACK, data.subarray(start, end));
    this.#flush();
  }

  #onGoaway(frame: Frame): void {
    const { id, data, start, end } = frame;
    if (id !== 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, `GOAWAY on stream ${id}`);
    if (end - start < 8) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, `GOAWAY of ${end - start} bytes, less than 8`);
    const lastStreamId = data.readUInt32BE(start) & 0x7fffffff;
    const code = data.readUInt32BE(start + 4);
    const debug = Buffer.from(data.subarray(start + 8, end));
    this.goingAway = true;
    // No new streams can go here: once the last one ends, the connection has nothing left to do.
    this.#closeWhenIdle = true;
    this.goawayLastStreamId = this.goawayLastStreamId < 0 ? lastStreamId : Math.min(lastStreamId, this.goawayLastStreamId);
    const cause = closeCause(code, 'peer', `GOAWAY${debug.length > 0 ? ` ${debug.toString('utf8', 0, 512)}` : ''}`);
    this.#cause ??= cause;
    if (code !== ErrorCode.NO_ERROR) this.#error ??= new Http2ConnectionError(cause);
    this.#events.goaway(lastStreamId, code, debug);
    // §6.8: streams above the last stream id were not processed.
    for (const stream of this.#streams.values()) {
      if (stream.id > this.goawayLastStreamId) {
        this.#closeStream(stream);
        stream.listener.onReset(ErrorCode.REFUSED_STREAM, true, cause);
      }
    }
    if (this.active === 0) this.#goodbye('closed by certpush after the server\'s GOAWAY');
  }

  #onWindowUpdate(frame: Frame): void {
    const { id, data, start, end } = frame;
    if (end - start !== 4) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, `WINDOW_UPDATE of ${end - start} bytes, not 4`);
    const increment = data.readUInt32BE(start) & 0x7fffffff;
    if (id === 0) {
      // §6.9: a zero increment on the connection is a connection error…
      if (increment === 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0 on the connection');
      const window = growWindow(this.#sendWindow, increment);
      if (window === undefined) return this.#connectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection send window above 2^31-1');
      this.#sendWindow = window;
    } else {
      if (this.#onIdleStream(id, 'WINDOW_UPDATE')) return;
      const stream = this.#streams.get(id);
      if (!stream) return;
      // …on a stream, a stream error (§6.9, §6.9.1).
      if (increment === 0) return this.#streamError(id, ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0 on the stream');
      const window = growWindow(stream.sendWindow, increment);
      if (window === undefined) return this.#streamError(id, ErrorCode.FLOW_CONTROL_ERROR, 'stream send window above 2^31-1');
      stream.sendWindow = window;
    }
    this.#sendBlocked();
  }

  #onSettings(frame: Frame): void {
    const { flags, id, data, start, end } = frame;
    if (id !== 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (end > start) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if ((end - start) % 6 !== 0) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length not a multiple of 6');
    for (let at = start; at < end; at += 6) {
      const setting = data.readUInt16BE(at);
      const value = data.readUInt32BE(at + 2);
      if (setting === Setting.MAX_CONCURRENT_STREAMS) {
        this.remoteMaxConcurrentStreams = value;
      } else if (setting === Setting.ENABLE_PUSH) {
        // §6.5.2: a server MUST NOT send ENABLE_PUSH other than 0.
        if (value !== 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, `ENABLE_PUSH ${value} from a server`);
      } else if (setting === Setting.INITIAL_WINDOW_SIZE) {
        if (growWindow(0, value) === undefined) return this.#connectionError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE above 2^31-1');
        // §6.9.2: the change applies to every open stream's window; one pushed past 2^31−1 is a
        // connection error.
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const stream of this.#streams.values()) {
          const window = growWindow(stream.sendWindow, delta);
          if (window === undefined) return this.#connectionError(ErrorCode.FLOW_CONTROL_ERROR, `INITIAL_WINDOW_SIZE ${value} takes stream ${stream.id}'s window above 2^31-1`);
          stream.sendWindow = window;
        }
      } else if (setting === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 16_777_215) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, `MAX_FRAME_SIZE ${value} out of range`);
        this.#peerMaxFrameSize = value;
      } else if (setting === Setting.HEADER_TABLE_SIZE) {
        // RFC 7541 §4.2: our next header block signals the new size (see EncoderTableSize).
        this.#tableSize.peerSetting(value);
      }
      // MAX_HEADER_LIST_SIZE and unknown settings: advisory, ignored (§6.5.2).
    }
    if (this.#answerFlood()) return;
    this.#writer.settings(Flag.ACK, []);
    this.#flush();
    this.#sendBlocked();
    if (!this.isReady) {
      this.isReady = true;
      this.#events.ready();
    } else {
      this.#events.settings();
    }
  }

  #closeStream(stream: OpenStream<L>): void {
    if (this.#streams.delete(stream.id) === undefined) return;
    this.active--;
    if (stream.body !== null) {
      stream.body = null;
      const at = this.#blocked.indexOf(stream);
      if (at >= 0) this.#blocked.splice(at, 1);
    }
    if (this.active === 0 && this.#closeWhenIdle) {
      const detail = this.exhausted ? 'stream ids used up' : 'closed by certpush';
      if (this.#holdGoodbye) this.#goodbyeHeld = detail;
      else this.#goodbye(detail);
    }
    this.#events.streamClosed();
  }

  /** §5.4.2: end one stream with RST_STREAM; the connection goes on. */
  #streamError(id: number, code: number, message: string): void {
    if (this.#answerFlood()) return;
    const stream = this.#streams.get(id);
    this.#writer.rstStream(id, code);
    this.#scheduleFlush();
    if (!stream) return;
    this.#closeStream(stream);
    stream.listener.onReset(code, false, closeCause(code, 'certpush', message));
  }

  /** Count an answer queued while the socket is full; true (and closed) past the limit. */
  #answerFlood(): boolean {
    if (!this.#writeBlocked || ++this.#queuedAnswers <= MAX_QUEUED_ANSWERS) return false;
    this.#connectionError(ErrorCode.ENHANCE_YOUR_CALM, `more than ${MAX_QUEUED_ANSWERS} frames to answer while the server reads nothing`);
    return true;
  }

  #exhaust(): void {
    this.exhausted = true;
    this.goingAway = true;
    this.#closeWhenIdle = true;
    // Told on the next tick: this runs inside request(), and the owner may be walking its queue.
    process.nextTick(() => { if (!this.isClosed) this.#events.exhausted?.(); });
  }

  #onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.goingAway = true;
    this.#cause ??= closeCause(-1, 'transport', this.#error?.message ?? 'the connection closed');
    if (this.#error === undefined && this.#cause.code > 0) this.#error = new Http2ConnectionError(this.#cause);
    const streams = this.#streams.values();
    this.#streams.clear();
    this.#blocked.length = 0;
    this.active = 0;
    const cause = this.#cause;
    for (const stream of streams) stream.listener.onReset(-1, stream.id > this.goawayLastStreamId && this.goawayLastStreamId >= 0, cause);
    this.#events.closed(this.#error, cause);
  }

  /** §5.4.1: GOAWAY with the code, then close; the server learns why. */
  #connectionError(code: number, message: string): void {
    if (this.isClosed) return;
    const cause = closeCause(code, 'certpush', message);
    this.#cause = cause;
    this.#error ??= new Http2ConnectionError(cause);
    this.#sendGoaway(code, message);
    this.#endSocket();
    this.#onClose();
  }

  /** A graceful end: GOAWAY(NO_ERROR), end the socket; streams still open are reset. */
  #goodbye(detail: string): void {
    if (this.isClosed) return;
    this.#cause ??= closeCause(ErrorCode.NO_ERROR, 'certpush', detail);
    this.#sendGoaway(ErrorCode.NO_ERROR, '');
    this.#endSocket();
    this.#onClose();
  }

  #sendGoaway(code: number, message: string): void {
    if (this.#goawaySent || !this.#started) return;
    this.#goawaySent = true;
    // Last stream id 0: we accept no server-initiated streams (§6.8).
    this.#writer.goaway(0, code, Buffer.from(message.slice(0, 256), 'utf8'));
    this.#flush();
  }

  /**
   * End our side so the GOAWAY just written is flushed before the socket goes (destroying it at
   * once could drop it), then destroy it when the server closes or after LINGER_MS.
   */
  #endSocket(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#socket.end();
    this.#linger = setTimeout(() => this.#socket.destroy(), LINGER_MS);
    this.#linger.unref();
  }

  // --- writing ---

  #sendBody(stream: OpenStream<L>): boolean {
    const body = stream.body!;
    while (stream.sent < body.length) {
      if (this.#writeBlocked) return false;
      const size = Math.min(body.length - stream.sent, this.#peerMaxFrameSize, this.#sendWindow, stream.sendWindow);
      if (size <= 0) return false;
      const last = stream.sent + size === body.length;
      this.#writer.frame(FrameType.DATA, last ? Flag.END_STREAM : 0, stream.id, body.subarray(stream.sent, stream.sent + size));
      stream.sent += size;
      this.#sendWindow -= size;
      stream.sendWindow -= size;
    }
    stream.body = null;
    return true;
  }

  #sendBlocked(): void {
    if (this.#blocked.length === 0) return;
    const waiting = this.#blocked.splice(0);
    for (const stream of waiting) if (stream.body !== null && !this.#sendBody(stream)) this.#blocked.push(stream);
    this.#scheduleFlush();
  }

  #onDrain(): void {
    if (!this.#writeBlocked || this.isClosed) return;
    this.#writeBlocked = false;
    this.#queuedAnswers = 0;
    this.#sendBlocked();
    if (this.isReady) this.#events.settings();
  }

  #write(chunk: Buffer): void {
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) return;
    // Backpressure: past WRITE_BUFFER_LIMIT unsent bytes, no DATA and no new streams until
    // 'drain' (canOpenStream is false meanwhile), so a slow reader cannot grow our memory.
    if (!socket.write(chunk) && socket.writableLength >= WRITE_BUFFER_LIMIT) this.#writeBlocked = true;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    this.#writer.flush();
  }
}
