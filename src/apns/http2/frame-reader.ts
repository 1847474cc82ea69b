import { ErrorCode, Flag, FRAME_HEADER_BYTES } from './frames.ts';

/** One frame: its payload is `data[start, end)` (a view into the read buffer: copy to keep). */
export interface Frame {
  type: number;
  flags: number;
  id: number;
  data: Buffer;
  start: number;
  end: number;
}

/** A frame-level violation: the connection error to send (RFC 9113 §5.4.1). */
export interface FrameError {
  code: number;
  message: string;
}

const EMPTY = Buffer.alloc(0);

/**
 * Cuts a byte stream into HTTP/2 frames (RFC 9113 §4.1), knowing nothing of their meaning: bytes
 * in, frames out, so it can be tested and fuzzed on bytes alone. It never reads past what it was
 * given and keeps at most one incomplete frame (≤ 9 + maxFrameSize bytes) between pushes.
 *
 * @example
 * const reader = new FrameReader(16_384);
 * reader.push(bytes);
 * while (reader.next()) handle(reader.frame);
 * if (reader.error) fail(reader.error);
 */
export class FrameReader {
  /** The current frame, reused for every frame (no allocation per frame). */
  readonly frame: Frame = { type: 0, flags: 0, id: 0, data: EMPTY, start: 0, end: 0 };
  /** Set when the stream of bytes cannot go on (a frame above our SETTINGS_MAX_FRAME_SIZE). */
  error: FrameError | undefined;
  readonly #maxFrameSize: number;
  #data: Buffer = EMPTY;
  #at = 0;

  constructor(maxFrameSize: number) {
    this.#maxFrameSize = maxFrameSize;
  }

  /** Bytes held back: the start of a frame not complete yet. */
  get buffered(): number {
    return this.#data.length - this.#at;
  }

  push(chunk: Buffer): void {
    if (this.error) return;
    this.#data = this.#at < this.#data.length ? Buffer.concat([this.#data.subarray(this.#at), chunk]) : chunk;
    this.#at = 0;
  }

  /** Advance to the next complete frame; false when more bytes are needed (or on error). */
  next(): boolean {
    if (this.error) return false;
    const data = this.#data;
    const at = this.#at;
    if (data.length - at < FRAME_HEADER_BYTES) return this.#keep();
    const length = (data[at]! << 16) | (data[at + 1]! << 8) | data[at + 2]!;
    // RFC 9113 §4.2: a frame above our SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR.
    if (length > this.#maxFrameSize) {
      this.error = { code: ErrorCode.FRAME_SIZE_ERROR, message: `a ${length}-byte frame, above our SETTINGS_MAX_FRAME_SIZE of ${this.#maxFrameSize}` };
      this.#data = EMPTY;
      this.#at = 0;
      return false;
    }
    if (data.length - at - FRAME_HEADER_BYTES < length) return this.#keep();
    const frame = this.frame;
    frame.type = data[at + 3]!;
    frame.flags = data[at + 4]!;
    // §4.1: the reserved bit is ignored on receipt.
    frame.id = data.readUInt32BE(at + 5) & 0x7fffffff;
    frame.data = data;
    frame.start = at + FRAME_HEADER_BYTES;
    frame.end = frame.start + length;
    this.#at = frame.end;
    return true;
  }

  /** Copy a trailing partial frame out of the socket's chunk, so the chunk can be collected. */
  #keep(): false {
    if (this.#at > 0 || this.#data.length > 4096) {
      this.#data = this.#at < this.#data.length ? Buffer.from(this.#data.subarray(this.#at)) : EMPTY;
      this.#at = 0;
    }
    return false;
  }
}

/**
 * The content of a frame that may be PADDED (DATA, HEADERS; RFC 9113 §6.1, §6.2), as
 * [from, to) — or a FrameError: a padded frame too short to hold its Pad Length (and, for
 * HEADERS, the `fixed` priority bytes) is a FRAME_SIZE_ERROR (§4.2), padding as long as the
 * payload or longer a PROTOCOL_ERROR (§6.1).
 */
export function unpad(frame: Frame, fixed = 0): [number, number] | FrameError {
  const { flags, data, start, end } = frame;
  if (!(flags & Flag.PADDED)) {
    if (end - start < fixed) return { code: ErrorCode.FRAME_SIZE_ERROR, message: 'HEADERS too short for its priority fields' };
    return [start + fixed, end];
  }
  if (end - start < 1 + fixed) return { code: ErrorCode.FRAME_SIZE_ERROR, message: 'a PADDED frame too short to hold its Pad Length' };
  const pad = data[start]!;
  if (1 + fixed + pad > end - start) return { code: ErrorCode.PROTOCOL_ERROR, message: `padding of ${pad} bytes in a ${end - start}-byte frame` };
  return [start + 1 + fixed, end - pad];
}
