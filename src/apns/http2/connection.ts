import tls, { type SecureContextOptions, type TLSSocket } from 'node:tls';
import {
  CLIENT_PREFACE, DEFAULT_MAX_FRAME_SIZE, DEFAULT_WINDOW, ErrorCode, errorName, Flag, FRAME_HEADER_BYTES, FrameType,
  MAX_STREAM_ID, MAX_WINDOW, Setting,
} from './frames.ts';
import { HpackDecoder, HpackError } from './hpack.ts';
import { StreamTable } from './stream-table.ts';

/** What happens on one request stream. */
export interface StreamListener {
  /** A header block (the response's, or trailers). Fields are [name, value, …]. */
  onHeaders(fields: string[], endStream: boolean): void;
  /** Response body bytes (a view into a read buffer: copy to keep). */
  onData(data: Buffer, endStream: boolean): void;
  /**
   * The stream ended without a complete response: `code` is the server's RST_STREAM code, or -1
   * when the connection went away. `unprocessed`: the server certainly did not process it
   * (REFUSED_STREAM, or above a GOAWAY's last stream id), so it may be sent again.
   */
  onReset(code: number, unprocessed: boolean): void;
}

/** What the connection tells its owner. */
export interface ConnectionEvents {
  /** TLS is up, HTTP/2 agreed, and the server's first SETTINGS arrived. */
  ready(): void;
  /** The server changed its SETTINGS (e.g. MAX_CONCURRENT_STREAMS). */
  settings(): void;
  /** A stream closed: a slot is free. */
  streamClosed(): void;
  goaway(lastStreamId: number, code: number, debug: Buffer): void;
  pingAck(): void;
  /** The connection is closed; every open stream got onReset first. */
  closed(error: Error | undefined): void;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  servername: string | undefined;
  tls: SecureContextOptions;
}

class OpenStream<L extends StreamListener> {
  readonly id: number;
  readonly listener: L;
  sendWindow: number;
  body: Buffer | null;
  sent = 0;

  constructor(id: number, listener: L, sendWindow: number, body: Buffer | null) {
    this.id = id;
    this.listener = listener;
    this.sendWindow = sendWindow;
    this.body = body;
  }
}

/** Our receive windows: large, so the server never waits on us for APNs' small answers. */
const STREAM_RECEIVE_WINDOW = 1 << 20;
const CONNECTION_RECEIVE_WINDOW = 1 << 24;
/** Frames we accept at most (our SETTINGS_MAX_FRAME_SIZE, the default). */
const OUR_MAX_FRAME_SIZE = DEFAULT_MAX_FRAME_SIZE;
const OUT_CHUNK = 64 * 1024;

/**
 * A client-side HTTP/2 connection (RFC 9113) over TLS, just what an APNs provider needs:
 * requests with a small body, responses, flow control, SETTINGS, PING, GOAWAY, RST_STREAM.
 * Frames written in one turn of the event loop leave in one TLS write.
 *
 * Why not node:http2 (DESIGN.md's default for the wire): measured here, the same client on
 * node:http2 cost 45–75 µs of CPU per notification — no better than @parse/node-apn's ~40 µs —
 * because of the Duplex stream, async resources and header objects per request; on this wire it
 * costs ~10–16 µs. Node's http2 server stays in the simulator, so the two are checked against
 * each other (and against curl and node-apn) on every test run.
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
  /** From the server's GOAWAY; -1 until one arrives. */
  goawayLastStreamId = -1;
  readonly #socket: TLSSocket;
  readonly #events: ConnectionEvents;
  readonly #streams = new StreamTable<OpenStream<L>>();
  readonly #decoder = new HpackDecoder();
  readonly #blocked: Array<OpenStream<L>> = [];
  #nextStreamId = 1;
  #sendWindow = DEFAULT_WINDOW;
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  #received = 0;
  #out = Buffer.allocUnsafe(OUT_CHUNK);
  #outStart = 0;
  #outPos = 0;
  #flushScheduled = false;
  #pending: Buffer | null = null;
  #headerStreamId = 0;
  #headerEndStream = false;
  #headerFragments: Buffer[] = [];
  #error: Error | undefined;
  #closeWhenIdle = false;

  constructor(options: ConnectionOptions, events: ConnectionEvents) {
    this.#events = events;
    this.#socket = tls.connect({
      ...options.tls,
      host: options.host,
      port: options.port,
      servername: options.servername,
      ALPNProtocols: ['h2'],
    });
    const socket = this.#socket;
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') {
        this.destroy(new Error(`${options.host}:${options.port} does not speak HTTP/2 (ALPN gave ${socket.alpnProtocol || 'nothing'})`));
        return;
      }
      socket.setNoDelay(true);
      this.#writeRaw(CLIENT_PREFACE);
      this.#writeSettings([[Setting.ENABLE_PUSH, 0], [Setting.INITIAL_WINDOW_SIZE, STREAM_RECEIVE_WINDOW]]);
      this.#writeWindowUpdate(0, CONNECTION_RECEIVE_WINDOW - DEFAULT_WINDOW);
      this.#flush();
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => { this.#error ??= error; });
    socket.on('close', () => this.#onClose());
  }

  /** Whether a new stream may be opened now. */
  get canOpenStream(): boolean {
    return this.isReady && !this.goingAway && !this.isClosed && this.active < this.remoteMaxConcurrentStreams;
  }

  /**
   * Open a stream: HEADERS (the block written by `encode` into at most `maxHeaderBytes`) and the
   * body as DATA, as flow control allows. Returns the stream id.
   */
  request<T>(encode: (out: Buffer, at: number, arg: T) => number, arg: T, maxHeaderBytes: number, body: Buffer, listener: L): number {
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    if (this.#nextStreamId > MAX_STREAM_ID) this.goingAway = true;
    const stream = new OpenStream(id, listener, this.#peerInitialWindow, body.length > 0 ? body : null);
    this.#streams.add(stream);
    this.active++;
    const flags = Flag.END_HEADERS | (body.length === 0 ? Flag.END_STREAM : 0);
    const at = this.#reserve(FRAME_HEADER_BYTES + maxHeaderBytes);
    const end = encode(this.#out, at + FRAME_HEADER_BYTES, arg);
    const length = end - at - FRAME_HEADER_BYTES;
    if (length <= this.#peerMaxFrameSize) {
      writeFrameHeader(this.#out, at, length, FrameType.HEADERS, flags, id);
      this.#outPos = end;
    } else {
      // RFC 9113 §6.10: a block larger than a frame continues in CONTINUATION frames.
      const block = Buffer.from(this.#out.subarray(at + FRAME_HEADER_BYTES, end));
      this.#outPos = at;
      for (let from = 0; from < block.length; from += this.#peerMaxFrameSize) {
        const piece = block.subarray(from, from + this.#peerMaxFrameSize);
        const last = from + this.#peerMaxFrameSize >= block.length;
        const type = from === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
        const pieceFlags = (last ? Flag.END_HEADERS : 0) | (from === 0 ? flags & Flag.END_STREAM : 0);
        this.#writeFrame(type, pieceFlags, id, piece);
      }
    }
    if (stream.body !== null && !this.#sendBody(stream)) this.#blocked.push(stream);
    this.#scheduleFlush();
    return id;
  }

  /** The listeners of the open streams (a snapshot). */
  listeners(): L[] {
    return this.#streams.values().map((stream) => stream.listener);
  }

  /** Abandon a stream (RST_STREAM): its listener hears nothing more. */
  cancel(id: number, code: number = ErrorCode.CANCEL): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#writeRstStream(id, code);
    this.#scheduleFlush();
    this.#closeStream(stream);
  }

  /** Send a PING; `pingAck` fires when the server answers. */
  ping(): void {
    const at = this.#reserve(FRAME_HEADER_BYTES + 8);
    writeFrameHeader(this.#out, at, 8, FrameType.PING, 0, 0);
    this.#out.writeDoubleBE(Date.now(), at + FRAME_HEADER_BYTES);
    this.#outPos = at + FRAME_HEADER_BYTES + 8;
    this.#flush();
  }

  /** Open no more streams; say goodbye and close once the open ones are done. */
  close(): void {
    this.goingAway = true;
    this.#closeWhenIdle = true;
    if (this.active === 0) this.#goodbye();
  }

  /** Close now; open streams hear onReset(-1). */
  destroy(error?: Error): void {
    if (this.isClosed) return;
    this.#error ??= error;
    this.#socket.destroy();
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  // --- reading ---

  #onData(chunk: Buffer): void {
    let data = chunk;
    if (this.#pending !== null) {
      data = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let at = 0;
    while (data.length - at >= FRAME_HEADER_BYTES) {
      const length = (data[at]! << 16) | (data[at + 1]! << 8) | data[at + 2]!;
      if (length > OUR_MAX_FRAME_SIZE) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, `a ${length}-byte frame, above our limit of ${OUR_MAX_FRAME_SIZE}`);
      if (data.length - at - FRAME_HEADER_BYTES < length) break;
      const type = data[at + 3]!;
      const flags = data[at + 4]!;
      const id = data.readUInt32BE(at + 5) & 0x7fffffff;
      const start = at + FRAME_HEADER_BYTES;
      at = start + length;
      try {
        this.#onFrame(type, flags, id, data, start, at);
      } catch (error) {
        if (error instanceof HpackError) return this.#connectionError(ErrorCode.COMPRESSION_ERROR, `bad header block: ${error.message}`);
        throw error;
      }
      if (this.isClosed) return;
    }
    if (at < data.length) this.#pending = Buffer.from(data.subarray(at));
    if (this.#received >= CONNECTION_RECEIVE_WINDOW / 2) {
      this.#writeWindowUpdate(0, this.#received);
      this.#received = 0;
      this.#scheduleFlush();
    }
  }

  #onFrame(type: number, flags: number, id: number, data: Buffer, start: number, end: number): void {
    if (this.#headerStreamId !== 0 && type !== FrameType.CONTINUATION) {
      return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'a frame came between HEADERS and its CONTINUATION');
    }
    switch (type) {
      case FrameType.DATA: {
        if (id === 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
        this.#received += end - start;
        const [from, to] = this.#unpad(flags, data, start, end);
        if (from < 0) return;
        const stream = this.#streams.get(id);
        if (!stream) return;
        const endStream = (flags & Flag.END_STREAM) !== 0;
        if (endStream) this.#closeStream(stream);
        stream.listener.onData(data.subarray(from, to), endStream);
        return;
      }
      case FrameType.HEADERS: {
        if (id === 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
        let [from, to] = this.#unpad(flags, data, start, end);
        if (from < 0) return;
        if (flags & Flag.PRIORITY) from += 5;
        if (from > to) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS too short for its priority fields');
        const endStream = (flags & Flag.END_STREAM) !== 0;
        if (flags & Flag.END_HEADERS) return this.#onHeaderBlock(id, data, from, to, endStream);
        this.#headerStreamId = id;
        this.#headerEndStream = endStream;
        this.#headerFragments = [Buffer.from(data.subarray(from, to))];
        return;
      }
      case FrameType.CONTINUATION: {
        if (id === 0 || id !== this.#headerStreamId) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without its HEADERS');
        this.#headerFragments.push(Buffer.from(data.subarray(start, end)));
        if (flags & Flag.END_HEADERS) {
          const block = Buffer.concat(this.#headerFragments);
          this.#headerStreamId = 0;
          this.#headerFragments = [];
          this.#onHeaderBlock(id, block, 0, block.length, this.#headerEndStream);
        }
        return;
      }
      case FrameType.RST_STREAM: {
        if (id === 0 || end - start !== 4) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'bad RST_STREAM');
        const stream = this.#streams.get(id);
        if (!stream) return;
        const code = data.readUInt32BE(start);
        this.#closeStream(stream);
        stream.listener.onReset(code, code === ErrorCode.REFUSED_STREAM);
        return;
      }
      case FrameType.SETTINGS:
        return this.#onSettings(flags, id, data, start, end);
      case FrameType.PUSH_PROMISE:
        return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE although we disabled push');
      case FrameType.PING: {
        if (id !== 0 || end - start !== 8) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad PING');
        if (flags & Flag.ACK) return this.#events.pingAck();
        this.#writeFrame(FrameType.PING, Flag.ACK, 0, data.subarray(start, end));
        this.#flush();
        return;
      }
      case FrameType.GOAWAY: {
        if (id !== 0 || end - start < 8) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'bad GOAWAY');
        const lastStreamId = data.readUInt32BE(start) & 0x7fffffff;
        const code = data.readUInt32BE(start + 4);
        this.goingAway = true;
        this.goawayLastStreamId = this.goawayLastStreamId < 0 ? lastStreamId : Math.min(lastStreamId, this.goawayLastStreamId);
        if (code !== ErrorCode.NO_ERROR) this.#error ??= new Error(`the server sent GOAWAY ${errorName(code)}`);
        this.#events.goaway(lastStreamId, code, Buffer.from(data.subarray(start + 8, end)));
        // RFC 9113 §6.8: streams above the last stream id were not processed.
        for (const stream of this.#streams.values()) {
          if (stream.id > lastStreamId) {
            this.#closeStream(stream);
            stream.listener.onReset(ErrorCode.REFUSED_STREAM, true);
          }
        }
        if (this.active === 0) this.#goodbye();
        return;
      }
      case FrameType.WINDOW_UPDATE: {
        if (end - start !== 4) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad WINDOW_UPDATE');
        const increment = data.readUInt32BE(start) & 0x7fffffff;
        if (increment === 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
        if (id === 0) {
          this.#sendWindow += increment;
          if (this.#sendWindow > MAX_WINDOW) return this.#connectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
        } else {
          const stream = this.#streams.get(id);
          if (stream) stream.sendWindow += increment;
        }
        this.#sendBlocked();
        return;
      }
      default:
        // PRIORITY and unknown frame types are ignored (RFC 9113 §4.1, §5.5).
        return;
    }
  }

  #unpad(flags: number, data: Buffer, start: number, end: number): [number, number] {
    if (!(flags & Flag.PADDED)) return [start, end];
    const pad = data[start]!;
    if (start + 1 + pad > end) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'padding longer than the frame');
      return [-1, -1];
    }
    return [start + 1, end - pad];
  }

  #onHeaderBlock(id: number, block: Buffer, start: number, end: number, endStream: boolean): void {
    // Decode even for a stream we dropped: the dynamic table must stay in step with the server.
    const fields = this.#decoder.decode(block, start, end);
    const stream = this.#streams.get(id);
    if (!stream) return;
    if (endStream) this.#closeStream(stream);
    stream.listener.onHeaders(fields, endStream);
  }

  #onSettings(flags: number, id: number, data: Buffer, start: number, end: number): void {
    if (id !== 0) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) return;
    if ((end - start) % 6 !== 0) return this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length not a multiple of 6');
    for (let at = start; at < end; at += 6) {
      const setting = data.readUInt16BE(at);
      const value = data.readUInt32BE(at + 2);
      if (setting === Setting.MAX_CONCURRENT_STREAMS) {
        this.remoteMaxConcurrentStreams = value;
      } else if (setting === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) return this.#connectionError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE above 2^31-1');
        // RFC 9113 §6.9.2: the change applies to every open stream's window.
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const stream of this.#streams.values()) stream.sendWindow += delta;
      } else if (setting === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 16_777_215) return this.#connectionError(ErrorCode.PROTOCOL_ERROR, `MAX_FRAME_SIZE ${value} out of range`);
        this.#peerMaxFrameSize = value;
      }
      // HEADER_TABLE_SIZE: our encoder never indexes, so any size suits it. Others: advisory.
    }
    this.#writeFrame(FrameType.SETTINGS, Flag.ACK, 0, EMPTY);
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
    if (this.active === 0 && this.#closeWhenIdle) this.#goodbye();
    this.#events.streamClosed();
  }

  #onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.goingAway = true;
    const streams = this.#streams.values();
    this.#streams.clear();
    this.active = 0;
    for (const stream of streams) stream.listener.onReset(-1, stream.id > this.goawayLastStreamId && this.goawayLastStreamId >= 0);
    this.#events.closed(this.#error);
  }

  #connectionError(code: number, message: string): void {
    this.#error ??= new Error(`HTTP/2 ${errorName(code)} from the server: ${message}`);
    this.#writeGoaway(code);
    this.#flush();
    this.#socket.destroy();
    this.#onClose();
  }

  #goodbye(): void {
    if (this.isClosed) return;
    this.#writeGoaway(ErrorCode.NO_ERROR);
    this.#flush();
    this.#socket.end();
  }

  // --- writing ---

  #sendBody(stream: OpenStream<L>): boolean {
    const body = stream.body!;
    while (stream.sent < body.length) {
      const size = Math.min(body.length - stream.sent, this.#peerMaxFrameSize, this.#sendWindow, stream.sendWindow);
      if (size <= 0) return false;
      const last = stream.sent + size === body.length;
      this.#writeFrame(FrameType.DATA, last ? Flag.END_STREAM : 0, stream.id, body.subarray(stream.sent, stream.sent + size));
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

  #reserve(bytes: number): number {
    if (this.#out.length - this.#outPos < bytes) {
      this.#flushNow();
      this.#out = Buffer.allocUnsafe(Math.max(OUT_CHUNK, bytes));
      this.#outStart = 0;
      this.#outPos = 0;
    }
    return this.#outPos;
  }

  #writeFrame(type: number, flags: number, id: number, payload: Uint8Array): void {
    const at = this.#reserve(FRAME_HEADER_BYTES + payload.length);
    writeFrameHeader(this.#out, at, payload.length, type, flags, id);
    this.#out.set(payload, at + FRAME_HEADER_BYTES);
    this.#outPos = at + FRAME_HEADER_BYTES + payload.length;
  }

  #writeRaw(bytes: Uint8Array): void {
    const at = this.#reserve(bytes.length);
    this.#out.set(bytes, at);
    this.#outPos = at + bytes.length;
  }

  #writeSettings(settings: Array<[number, number]>): void {
    const payload = Buffer.alloc(settings.length * 6);
    settings.forEach(([id, value], i) => {
      payload.writeUInt16BE(id, i * 6);
      payload.writeUInt32BE(value, i * 6 + 2);
    });
    this.#writeFrame(FrameType.SETTINGS, 0, 0, payload);
  }

  #writeWindowUpdate(id: number, increment: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(increment);
    this.#writeFrame(FrameType.WINDOW_UPDATE, 0, id, payload);
  }

  #writeRstStream(id: number, code: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(code);
    this.#writeFrame(FrameType.RST_STREAM, 0, id, payload);
  }

  #writeGoaway(code: number): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(0, 0); // we accept no server-initiated streams
    payload.writeUInt32BE(code, 4);
    this.#writeFrame(FrameType.GOAWAY, 0, 0, payload);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    this.#flushNow();
  }

  #flushNow(): void {
    if (this.#outPos === this.#outStart) return;
    const chunk = this.#out.subarray(this.#outStart, this.#outPos);
    this.#outStart = this.#outPos;
    if (!this.#socket.destroyed && this.#socket.writable) this.#socket.write(chunk);
  }
}

const EMPTY = Buffer.alloc(0);

function writeFrameHeader(out: Buffer, at: number, length: number, type: number, flags: number, id: number): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out.writeUInt32BE(id, at + 5);
}
