// A scripted raw-frame HTTP/2 server for conformance tests: bytes in, bytes out. It sits on the
// other end of an in-memory socket pair, writes exactly the frames a test gives it, and parses
// what the client sends with its own small frame parser (not the client's), so a test checks the
// client's exact frames and error codes.
import { duplexPair, type Duplex } from 'node:stream';
import { type CloseCause, type ConnectionLimits, Http2ClientConnection, type StreamListener } from '../../../src/apns/http2/connection.ts';
import { encodeHeaderBlock } from '../../../src/apns/http2/hpack.ts';

export const T = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const F = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
export const E = { NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, FLOW_CONTROL_ERROR: 3, STREAM_CLOSED: 5, FRAME_SIZE_ERROR: 6, REFUSED_STREAM: 7, CANCEL: 8, COMPRESSION_ERROR: 9, ENHANCE_YOUR_CALM: 11 } as const;
export const S = { HEADER_TABLE_SIZE: 1, ENABLE_PUSH: 2, MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4, MAX_FRAME_SIZE: 5, MAX_HEADER_LIST_SIZE: 6 } as const;

/** `:status 200` as one indexed field (RFC 7541 Appendix A, index 8). */
export const STATUS_200 = Buffer.from([0x88]);

export interface RawFrame { type: number; flags: number; id: number; payload: Buffer }

/** Bytes of one frame (RFC 9113 §4.1), built by hand. */
export function frame(type: number, flags: number, id: number, payload: Buffer | number[] = Buffer.alloc(0)): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(9);
  head.writeUIntBE(body.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(id, 5);
  return Buffer.concat([head, body]);
}

export function settingsFrame(settings: Array<[number, number]>, flags = 0): Buffer {
  const payload = Buffer.alloc(settings.length * 6);
  settings.forEach(([id, value], i) => { payload.writeUInt16BE(id, i * 6); payload.writeUInt32BE(value, i * 6 + 2); });
  return frame(T.SETTINGS, flags, 0, payload);
}

export function u32(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeUInt32BE(v >>> 0, i * 4));
  return out;
}

export function headersFrame(id: number, fields: Array<[string, string]>, flags: number = F.END_HEADERS): Buffer {
  return frame(T.HEADERS, flags, id, encodeHeaderBlock(fields));
}

/** What a test's stream heard. */
export interface Heard {
  headers: string[][];
  data: Buffer[];
  ended: boolean;
  reset: { code: number; unprocessed: boolean; cause: CloseCause | undefined } | undefined;
}

const REQUEST_BLOCK = encodeHeaderBlock([[':method', 'POST'], [':scheme', 'https'], [':authority', 'localhost'], [':path', '/']]);

export class ScriptedServer {
  readonly socket: Duplex;
  readonly connection: Http2ClientConnection;
  readonly closed: Promise<{ error: Error | undefined; cause: CloseCause | undefined }>;
  /** Event names the connection emitted, in order. */
  readonly events: string[] = [];
  /** Whether the client ended its side of the socket (after its GOAWAY, say). */
  clientEnded = false;
  #bytes = Buffer.alloc(0);
  #prefaceSeen = false;
  #frames: RawFrame[] = [];
  #waiters: Array<() => void> = [];

  constructor(limits: ConnectionLimits = {}) {
    const [client, server] = duplexPair();
    this.socket = server;
    server.on('data', (chunk: Buffer) => this.#onBytes(chunk));
    server.on('end', () => { this.clientEnded = true; this.#wake(); });
    server.on('error', () => {});
    let closed!: (value: { error: Error | undefined; cause: CloseCause | undefined }) => void;
    this.closed = new Promise((resolve) => { closed = resolve; });
    this.connection = new Http2ClientConnection({ socket: client, ...limits }, {
      ready: () => this.events.push('ready'),
      settings: () => this.events.push('settings'),
      streamClosed: () => this.events.push('streamClosed'),
      goaway: (last, code) => this.events.push(`goaway ${last} ${code}`),
      pingAck: () => this.events.push('pingAck'),
      exhausted: () => this.events.push('exhausted'),
      closed: (error, cause) => { this.events.push('closed'); closed({ error, cause }); },
    });
  }

  /** Read the client's preface, answer with our SETTINGS, ACK theirs; the client is then ready. */
  async handshake(settings: Array<[number, number]> = []): Promise<RawFrame> {
    const clientSettings = await this.expect(T.SETTINGS);
    this.send(settingsFrame(settings), settingsFrame([], F.ACK));
    const ack = await this.expect(T.SETTINGS);
    if (!(ack.flags & F.ACK)) throw new Error('the client did not ACK our SETTINGS');
    return clientSettings;
  }

  send(...bytes: Buffer[]): void {
    this.socket.write(Buffer.concat(bytes));
  }

  /**
   * Open a request stream (a small header block, `body` as DATA); returns its id and what it hears.
   * A custom `encode` writing more than a small block says how much (`maxHeaderBytes`), as the
   * connection's contract asks: it reserves only that much room.
   */
  request(body = Buffer.alloc(0), encode?: (out: Buffer, at: number) => number, maxHeaderBytes = REQUEST_BLOCK.length + 64): { id: number; heard: Heard } {
    const heard: Heard = { headers: [], data: [], ended: false, reset: undefined };
    const listener: StreamListener = {
      onHeaders(fields, end) { heard.headers.push(fields); if (end) heard.ended = true; },
      onData(data, end) { heard.data.push(Buffer.from(data)); if (end) heard.ended = true; },
      onReset(code, unprocessed, cause) { heard.reset = { code, unprocessed, cause }; },
    };
    const write = encode ?? ((out: Buffer, at: number) => at + REQUEST_BLOCK.copy(out, at));
    const id = this.connection.request((out, at) => write(out, at), undefined, maxHeaderBytes, body, listener);
    return { id, heard };
  }

  /** The next frame from the client (skipping none). Fails after `ms`. */
  async next(ms = 2000): Promise<RawFrame> {
    const deadline = Date.now() + ms;
    while (this.#frames.length === 0) {
      if (Date.now() >= deadline) throw new Error(`no frame from the client within ${ms} ms`);
      await this.#wait(deadline - Date.now());
    }
    return this.#frames.shift()!;
  }

  /** The next frame of `type`, skipping others (WINDOW_UPDATE, SETTINGS ACK, …). */
  async expect(type: number, ms = 2000): Promise<RawFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (f.type === type) return f;
    }
  }

  /** The client's GOAWAY: [last stream id, code, debug text]. */
  async goaway(): Promise<{ lastStreamId: number; code: number; debug: string }> {
    const f = await this.expect(T.GOAWAY);
    return { lastStreamId: f.payload.readUInt32BE(0), code: f.payload.readUInt32BE(4), debug: f.payload.subarray(8).toString() };
  }

  /** The client's RST_STREAM: [stream id, code]. */
  async rst(): Promise<{ id: number; code: number }> {
    const f = await this.expect(T.RST_STREAM);
    return { id: f.id, code: f.payload.readUInt32BE(0) };
  }

  /** Frames the client sent within `ms` (to check that it sent none of some kind). */
  async collect(ms: number): Promise<RawFrame[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.#frames.splice(0);
  }

  /** PING round trip: everything the client had to say about earlier frames is said by then. */
  async sync(): Promise<RawFrame[]> {
    const seen: RawFrame[] = [];
    this.send(frame(T.PING, 0, 0, Buffer.from('syncsync')));
    for (;;) {
      const f = await this.next();
      if (f.type === T.PING && f.flags & F.ACK && f.payload.toString() === 'syncsync') return seen;
      seen.push(f);
    }
  }

  async untilEnded(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.clientEnded) {
      if (Date.now() >= deadline) throw new Error(`the client did not end the socket within ${ms} ms`);
      await this.#wait(deadline - Date.now());
    }
  }

  #onBytes(chunk: Buffer): void {
    this.#bytes = Buffer.concat([this.#bytes, chunk]);
    if (!this.#prefaceSeen) {
      if (this.#bytes.length < 24) return;
      const preface = this.#bytes.subarray(0, 24).toString('latin1');
      if (preface !== 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n') throw new Error(`bad client preface ${JSON.stringify(preface)}`);
      this.#prefaceSeen = true;
      this.#bytes = this.#bytes.subarray(24);
    }
    while (this.#bytes.length >= 9) {
      const length = this.#bytes.readUIntBE(0, 3);
      if (this.#bytes.length < 9 + length) break;
      this.#frames.push({ type: this.#bytes[3]!, flags: this.#bytes[4]!, id: this.#bytes.readUInt32BE(5) & 0x7fffffff, payload: Buffer.from(this.#bytes.subarray(9, 9 + length)) });
      this.#bytes = this.#bytes.subarray(9 + length);
    }
    this.#wake();
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#waiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** A ready connection to a scripted server. */
export async function scripted(settings: Array<[number, number]> = [], limits: ConnectionLimits = {}): Promise<ScriptedServer> {
  const server = new ScriptedServer(limits);
  await server.handshake(settings);
  return server;
}
