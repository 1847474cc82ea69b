// HPACK (RFC 7541) for an HTTP/2 client: a full decoder (static and dynamic table, Huffman) for
// what servers send, and a stateless encoder for requests (literals without indexing, so no
// table state to keep in step with the server).
import { huffmanDecode } from './huffman.ts';

/** RFC 7541 Appendix A. Index 1–61. */
export const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''],
  ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''],
  ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''],
  ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''],
  ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''],
  ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/** RFC 7541 §4.1: an entry's size is its name and value octets plus 32. */
const ENTRY_OVERHEAD = 32;

/** A malformed header block: a connection error (COMPRESSION_ERROR). */
export class HpackError extends Error {}

/**
 * Decodes header blocks from one connection (the dynamic table spans blocks). Returns fields
 * as a flat list [name, value, name, value, …].
 *
 * @example new HpackDecoder().decode(Buffer.from([0x88]), 0, 1) // [':status', '200']
 */
export class HpackDecoder {
  /** Dynamic table, oldest first. */
  #entries: Array<[string, string]> = [];
  #size = 0;
  #maxSize: number;
  /** The limit we announced (SETTINGS_HEADER_TABLE_SIZE): size updates may not exceed it. */
  readonly #limit: number;
  #pos = 0;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE: fields past it are decoded (to keep the table) but dropped. */
  readonly #maxListSize: number;
  /** Whether the last block decoded went past `maxListSize` (its fields are then incomplete). */
  listTooLarge = false;

  constructor(limit = 4096, maxListSize = Infinity) {
    this.#limit = limit;
    this.#maxSize = limit;
    this.#maxListSize = maxListSize;
  }

  decode(block: Buffer, start: number, end: number): string[] {
    const fields: string[] = [];
    this.#pos = start;
    let fieldSeen = false;
    // RFC 9113 §6.5.2: the list size counts each field as name + value + 32 octets. A few bytes
    // of indexed fields can name kilobytes of table entries, so the decoded size is bounded here,
    // not only the block's.
    let listSize = 0;
    this.listTooLarge = false;
    while (this.#pos < end) {
      const byte = block[this.#pos]!;
      if (byte & 0x80) {
        // §6.1 Indexed header field.
        const [name, value] = this.#entry(this.#integer(block, end, 7));
        listSize = this.#keep(fields, name, value, listSize);
        fieldSeen = true;
      } else if (byte & 0x40) {
        // §6.2.1 Literal with incremental indexing.
        const index = this.#integer(block, end, 6);
        const name = index === 0 ? this.#string(block, end) : this.#entry(index)[0];
        const value = this.#string(block, end);
        this.#insert(name, value);
        listSize = this.#keep(fields, name, value, listSize);
        fieldSeen = true;
      } else if (byte & 0x20) {
        // §6.3 Dynamic table size update: only at the start of a block, within our limit.
        if (fieldSeen) throw new HpackError('dynamic table size update after a header field');
        const size = this.#integer(block, end, 5);
        if (size > this.#limit) throw new HpackError(`dynamic table size ${size} above the limit ${this.#limit}`);
        this.#maxSize = size;
        this.#evict(0);
      } else {
        // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001).
        const index = this.#integer(block, end, 4);
        const name = index === 0 ? this.#string(block, end) : this.#entry(index)[0];
        listSize = this.#keep(fields, name, this.#string(block, end), listSize);
        fieldSeen = true;
      }
    }
    return fields;
  }

  #keep(fields: string[], name: string, value: string, listSize: number): number {
    const size = listSize + name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.#maxListSize) this.listTooLarge = true;
    else fields.push(name, value);
    return size;
  }

  #integer(block: Buffer, end: number, prefixBits: number): number {
    const mask = (1 << prefixBits) - 1;
    let value = block[this.#pos++]! & mask;
    if (value < mask) return value;
    for (let shift = 0; ; shift += 7) {
      if (this.#pos >= end) throw new HpackError('truncated integer');
      if (shift > 21) throw new HpackError('integer too large');
      const b = block[this.#pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
  }

  #string(block: Buffer, end: number): string {
    if (this.#pos >= end) throw new HpackError('truncated string');
    const huffman = (block[this.#pos]! & 0x80) !== 0;
    const length = this.#integer(block, end, 7);
    const from = this.#pos;
    const to = from + length;
    if (to > end) throw new HpackError('string runs past the block');
    this.#pos = to;
    if (!huffman) return block.toString('latin1', from, to);
    const text = huffmanDecode(block, from, to);
    if (text === null) throw new HpackError('invalid Huffman string');
    return text;
  }

  #entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const entry = this.#entries[this.#entries.length - (index - STATIC_TABLE.length)];
    if (!entry) throw new HpackError(`index ${index} beyond the dynamic table`);
    return entry;
  }

  #insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    // §4.4: an entry larger than the table empties it and is not added.
    this.#evict(size);
    if (size > this.#maxSize) return;
    this.#entries.push([name, value]);
    this.#size += size;
  }

  #evict(room: number): void {
    while (this.#size + room > this.#maxSize && this.#entries.length > 0) {
      const [name, value] = this.#entries.shift()!;
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name], i) => { if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1); });

/** Bytes of an HPACK integer with a prefix of `prefixBits` and first-byte `flags`. */
function writeInteger(out: Buffer, at: number, value: number, prefixBits: number, flags: number): number {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out[at++] = flags | value;
    return at;
  }
  out[at++] = flags | mask;
  value -= mask;
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

/** Most bytes a literal field of these byte lengths can take. */
export function literalFieldMaxBytes(nameBytes: number, valueBytes: number): number {
  return 1 + 5 + nameBytes + 5 + valueBytes;
}

/**
 * Write one field as "literal without indexing" (RFC 7541 §6.2.2): the name by static index
 * when it has one, strings raw (UTF-8). Returns the new offset. Names must be lowercase.
 */
export function writeLiteralField(out: Buffer, at: number, name: string, value: string): number {
  return writeLiteralValue(out, writeLiteralName(out, at, name), value);
}

/**
 * The name part of a literal field, encoded once: for fields written on every request, so the
 * hot path copies bytes instead of looking the name up and encoding it again.
 *
 * @example const apnsId = literalFieldName('apns-id'); at = writeLiteralValue(out, apnsId.copy(out, at) + at, id);
 */
export function literalFieldName(name: string): Buffer {
  const out = Buffer.allocUnsafe(1 + 5 + name.length);
  return out.subarray(0, writeLiteralName(out, 0, name));
}

/**
 * The value part of a literal field: its length, then `head` and `tail` back to back (one value
 * given in two pieces, so a caller need not build `/3/device/` + token as a new string).
 */
export function writeLiteralValue(out: Buffer, at: number, head: string, tail = ''): number {
  const ascii = head.length + tail.length;
  const length = Buffer.byteLength(head) + (tail.length === 0 ? 0 : Buffer.byteLength(tail));
  at = writeInteger(out, at, length, 7, 0x00);
  const encoding = length === ascii ? 'latin1' : 'utf8';
  at += out.write(head, at, encoding);
  if (tail.length > 0) at += out.write(tail, at, encoding);
  return at;
}

function writeLiteralName(out: Buffer, at: number, name: string): number {
  const index = STATIC_NAME_INDEX.get(name);
  if (index !== undefined) return writeInteger(out, at, index, 4, 0x00);
  out[at++] = 0x00;
  at = writeInteger(out, at, name.length, 7, 0x00);
  return at + out.write(name, at, 'latin1');
}

/** Write an indexed field (RFC 7541 §6.1), e.g. 2 for `:method GET`. */
export function writeIndexedField(out: Buffer, at: number, index: number): number {
  return writeInteger(out, at, index, 7, 0x80);
}

/**
 * RFC 7541 §4.2, the encoder's side of the peer's SETTINGS_HEADER_TABLE_SIZE: after the peer
 * changes it, our next header block must START with a dynamic table size update, at most the
 * smallest size the setting took since our last block (nghttp2 answers a block without one
 * with GOAWAY COMPRESSION_ERROR, even when the size went up). Our encoder never indexes (every
 * field is a literal without indexing, or static), so any size suits it: we signal the smallest
 * and keep to it.
 *
 * The connection owns one of these and writes `writeUpdate` in front of every HEADERS block it
 * frames, so whoever encodes the fields (the APNs session, a transport adapter) need not know.
 *
 * @example
 * const size = new EncoderTableSize();
 * size.peerSetting(0);                    // SETTINGS_HEADER_TABLE_SIZE = 0 arrived (and was ACKed)
 * at = size.writeUpdate(out, at);         // 0x20: "the table is now 0 bytes"
 * at = writeLiteralField(out, at, …);     // then the fields, as before
 */
export class EncoderTableSize {
  /** The size the peer's decoder believes our table has. */
  #size = 4096;
  /** Smallest setting since our last block; -1 when no change waits to be signalled. */
  #smallest = -1;

  /** The encoder's table size now (bytes). */
  get size(): number {
    return this.#size;
  }

  /** The peer's SETTINGS carried HEADER_TABLE_SIZE = `value`. */
  peerSetting(value: number): void {
    this.#smallest = this.#smallest < 0 ? value : Math.min(this.#smallest, value);
  }

  /** Write the pending size update (if any) at the start of a block; returns the new offset. */
  writeUpdate(out: Buffer, at: number): number {
    if (this.#smallest < 0) return at;
    this.#size = Math.min(this.#size, this.#smallest);
    this.#smallest = -1;
    return writeInteger(out, at, this.#size, 5, 0x20);
  }
}

/** Most bytes `EncoderTableSize.writeUpdate` writes (a 32-bit size with a 5-bit prefix). */
export const TABLE_SIZE_UPDATE_MAX_BYTES = 6;

/** Encode a whole header block from [name, value] pairs (for tests and one-off requests). */
export function encodeHeaderBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  let max = 0;
  for (const [name, value] of fields) max += literalFieldMaxBytes(Buffer.byteLength(name), Buffer.byteLength(value));
  const out = Buffer.allocUnsafe(max);
  let at = 0;
  for (const [name, value] of fields) at = writeLiteralField(out, at, name, value);
  return out.subarray(0, at);
}
