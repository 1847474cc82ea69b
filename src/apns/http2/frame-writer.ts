import { FRAME_HEADER_BYTES, FrameType } from './frames.ts';

/**
 * A connection's first buffer, and the smallest it gets: one APNs session per tenant certificate
 * means 100 sessions for 100 tenants, and at 64 KB apiece their buffers alone held 6 MB, plus
 * the malloc fragmentation of replacing them (README: "Service memory, third round").
 */
const MIN_CHUNK = 4 * 1024;
/** The largest buffer demand grows to: a busy connection's frames of one event-loop turn still leave in one or two writes. */
const MAX_CHUNK = 64 * 1024;

/** A buffer twice the largest burst seen (a power of two, within MIN_CHUNK..MAX_CHUNK), and never smaller than the frame that needs it. */
export function chunkSize(burst: number, needed: number): number {
  let size = MIN_CHUNK;
  while (size < 2 * burst && size < MAX_CHUNK) size *= 2;
  return Math.max(size, needed);
}

/**
 * Builds outgoing frames back to back in one buffer and hands them to `sink` in one piece when
 * flushed, so the frames of one event-loop turn leave in one TLS write. Knows nothing of streams
 * or state: bytes out only, so it can be tested on bytes alone.
 *
 * The buffer is sized by demand: it starts at 4 KB, and each replacement is twice the largest
 * burst (bytes between flushes) written into the one before, up to 64 KB. A session that sends a
 * few pushes a turn keeps a few KB; one under a million-push stream works in 64 KB chunks as before.
 *
 * @example
 * const writer = new FrameWriter((chunk) => socket.write(chunk));
 * writer.rstStream(1, ErrorCode.CANCEL); writer.flush();
 */
export class FrameWriter {
  readonly #sink: (chunk: Buffer) => void;
  // allocUnsafeSlow: a buffer of its own. Below 32 KB allocUnsafe gives a slice of Node's shared
  // 64 KB pool, and a session's buffer lives as long as the session: each kept a whole slab.
  #out = Buffer.allocUnsafeSlow(MIN_CHUNK);
  #start = 0;
  #pos = 0;
  /** The most bytes one flush handed over since this buffer was made, the demand its successor is sized for. */
  #burst = 0;
  /** Bytes written since the last flush() and handed on early because the buffer was full (one burst, split). */
  #split = 0;

  constructor(sink: (chunk: Buffer) => void) {
    this.#sink = sink;
  }

  /** The buffer `reserve` returned an offset into (for encoding a header block in place). */
  get buffer(): Buffer {
    return this.#out;
  }

  /** Bytes written and not flushed yet. */
  get pending(): number {
    return this.#pos - this.#start;
  }

  /** Make room for `bytes` contiguous bytes; returns where they start in `buffer`. */
  reserve(bytes: number): number {
    if (this.#out.length - this.#pos < bytes) {
      // What was written so far goes now, and counts towards this burst with what follows.
      const written = this.#pos - this.#start;
      this.#emit();
      this.#split += written;
      this.#out = Buffer.allocUnsafeSlow(chunkSize(Math.max(this.#burst, this.#split + bytes), bytes));
      this.#burst = 0;
      this.#start = 0;
      this.#pos = 0;
    }
    return this.#pos;
  }

  /** The size of the buffer frames are written into now (for tests and memory accounting). */
  get capacity(): number {
    return this.#out.length;
  }

  /** Take what was written in place into `buffer` up to `end`. */
  commit(end: number): void {
    this.#pos = end;
  }

  frame(type: number, flags: number, id: number, payload: Uint8Array): void {
    const at = this.reserve(FRAME_HEADER_BYTES + payload.length);
    writeFrameHeader(this.#out, at, payload.length, type, flags, id);
    this.#out.set(payload, at + FRAME_HEADER_BYTES);
    this.#pos = at + FRAME_HEADER_BYTES + payload.length;
  }

  raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.#out.set(bytes, at);
    this.#pos = at + bytes.length;
  }

  settings(flags: number, settings: ReadonlyArray<readonly [number, number]>): void {
    const at = this.reserve(FRAME_HEADER_BYTES + settings.length * 6);
    writeFrameHeader(this.#out, at, settings.length * 6, FrameType.SETTINGS, flags, 0);
    let p = at + FRAME_HEADER_BYTES;
    for (const [id, value] of settings) {
      this.#out.writeUInt16BE(id, p);
      this.#out.writeUInt32BE(value, p + 2);
      p += 6;
    }
    this.#pos = p;
  }

  windowUpdate(id: number, increment: number): void {
    this.#u32(FrameType.WINDOW_UPDATE, 0, id, increment);
  }

  rstStream(id: number, code: number): void {
    this.#u32(FrameType.RST_STREAM, 0, id, code);
  }

  /** PING with 8 bytes of opaque data (a timestamp when `payload` is omitted). */
  ping(flags: number, payload?: Uint8Array): void {
    if (payload) return this.frame(FrameType.PING, flags, 0, payload);
    const at = this.reserve(FRAME_HEADER_BYTES + 8);
    writeFrameHeader(this.#out, at, 8, FrameType.PING, flags, 0);
    this.#out.writeDoubleBE(Date.now(), at + FRAME_HEADER_BYTES);
    this.#pos = at + FRAME_HEADER_BYTES + 8;
  }

  goaway(lastStreamId: number, code: number, debug: Uint8Array): void {
    const at = this.reserve(FRAME_HEADER_BYTES + 8 + debug.length);
    writeFrameHeader(this.#out, at, 8 + debug.length, FrameType.GOAWAY, 0, 0);
    this.#out.writeUInt32BE(lastStreamId, at + FRAME_HEADER_BYTES);
    this.#out.writeUInt32BE(code, at + FRAME_HEADER_BYTES + 4);
    this.#out.set(debug, at + FRAME_HEADER_BYTES + 8);
    this.#pos = at + FRAME_HEADER_BYTES + 8 + debug.length;
  }

  /** Hand everything written so far to the sink. */
  flush(): void {
    this.#burst = Math.max(this.#burst, this.#split + this.#pos - this.#start);
    this.#split = 0;
    this.#emit();
  }

  #emit(): void {
    if (this.#pos === this.#start) return;
    const chunk = this.#out.subarray(this.#start, this.#pos);
    this.#start = this.#pos;
    this.#sink(chunk);
  }

  #u32(type: number, flags: number, id: number, value: number): void {
    const at = this.reserve(FRAME_HEADER_BYTES + 4);
    writeFrameHeader(this.#out, at, 4, type, flags, id);
    this.#out.writeUInt32BE(value, at + FRAME_HEADER_BYTES);
    this.#pos = at + FRAME_HEADER_BYTES + 4;
  }
}

/** RFC 9113 §4.1: 24-bit length, type, flags, 31-bit stream id. */
export function writeFrameHeader(out: Buffer, at: number, length: number, type: number, flags: number, id: number): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out.writeUInt32BE(id, at + 5);
}
