/** One DER tag-length-value, located in its buffer. */
export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the value. */
  end: number;
}

/**
 * Read the TLV at `offset`, or null when the bytes there are not a well-formed definite-length
 * DER header that fits in the buffer. Only single-byte tags (all that X.509 and PKCS use).
 */
export function readTlv(der: Uint8Array, offset = 0): Tlv | null {
  if (offset + 2 > der.length) return null;
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) return null;
  let length = der[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    // 0x80 is BER's indefinite length, which DER forbids; more than 4 bytes cannot fit in memory.
    if (bytes === 0 || bytes > 4 || contentStart + bytes > der.length) return null;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += bytes;
  }
  const end = contentStart + length;
  return end > der.length ? null : { tag, start: offset, contentStart, end };
}

/**
 * A structure that is not what its schema says: the message names the element and what was
 * found instead. Parsers catch it and wrap it in their own CertpushError with the fix.
 */
export class DerError extends Error {}

/** `tlv`, which must be there and have tag `tag`. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv) throw new DerError(`${what} is missing`);
  if (tlv.tag !== tag) throw new DerError(`${what} has tag 0x${hex2(tlv.tag)} where 0x${hex2(tag)} was expected (byte ${tlv.start})`);
  return tlv;
}

/** The TLV at `offset`, which must have tag `tag` and end by `end` (its parent's end). */
export function expectTlv(der: Uint8Array, offset: number, end: number, tag: number, what: string): Tlv {
  const tlv = offset < end ? readTlv(der, offset) : null;
  if (!tlv || tlv.end > end) throw new DerError(`${what} is missing or cut short (byte ${offset})`);
  return expectTag(tlv, tag, what);
}

/** The elements inside a constructed TLV, in order; each must be well-formed and end inside it. */
export function childrenOf(der: Uint8Array, parent: Tlv, what: string): Tlv[] {
  const children: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.end;) {
    const child = readTlv(der, offset);
    if (!child || child.end > parent.end) throw new DerError(`${what} holds an element that is cut short (byte ${offset})`);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** The content bytes of a TLV (a view, not a copy). */
export function contentOf(der: Uint8Array, tlv: Tlv): Uint8Array {
  return der.subarray(tlv.contentStart, tlv.end);
}

const MAX_OID_BYTES = 128;

/** Dotted text of an OBJECT IDENTIFIER ("1.2.840.113549.1.1.11"). */
export function readOid(der: Uint8Array, tlv: Tlv, what: string): string {
  if (tlv.tag !== 0x06 || tlv.end === tlv.contentStart) throw new DerError(`${what} is not an object identifier`);
  // Real OIDs take a few dozen bytes (a UUID OID under 2.25, ~20); a long one would cost
  // quadratic BigInt work on a tenant's upload.
  if (tlv.end - tlv.contentStart > MAX_OID_BYTES) throw new DerError(`${what} is an object identifier of ${tlv.end - tlv.contentStart} bytes, longer than the ${MAX_OID_BYTES} certpush reads`);
  const arcs: Array<number | bigint> = [];
  let start = tlv.contentStart;
  for (let i = start; i < tlv.end; i++) {
    if (der[i]! & 0x80) continue; // a sub-identifier's last byte has the high bit clear
    // DER: each sub-identifier in the fewest bytes, so none starts with 0x80.
    if (der[start] === 0x80) throw new DerError(`${what} is not minimally encoded`);
    arcs.push(subIdentifier(der, start, i + 1));
    start = i + 1;
  }
  if (start !== tlv.end) throw new DerError(`${what} ends inside a sub-identifier`);
  const first = arcs.shift()!;
  const [a, b] = typeof first === 'bigint' ? [2, first - 80n] : first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [a, b, ...arcs].join('.');
}

/** Base-128 digits to a number; past 7 bytes (2^49) a BigInt — UUID OIDs under 2.25 are 128-bit. */
function subIdentifier(der: Uint8Array, start: number, end: number): number | bigint {
  if (end - start <= 7) {
    let n = 0;
    for (let i = start; i < end; i++) n = n * 128 + (der[i]! & 0x7f);
    return n;
  }
  let n = 0n;
  for (let i = start; i < end; i++) n = n * 128n + BigInt(der[i]! & 0x7f);
  return n;
}

/** One DER element that must fill `bytes` exactly (an extension's value). */
export function soleElement(bytes: Uint8Array, tag: number, what: string): Tlv {
  const tlv = readTlv(bytes);
  if (!tlv || tlv.end !== bytes.length) throw new DerError(`${what} is not one well-formed DER element`);
  return expectTag(tlv, tag, what);
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
