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

/** The bytes of the first element inside the SEQUENCE at the start of `der` (a "to-be-signed" part). */
export function firstElementOfSequence(der: Uint8Array): Uint8Array | null {
  const outer = readTlv(der);
  if (!outer || outer.tag !== 0x30) return null;
  const first = readTlv(der, outer.contentStart);
  return first && first.end <= outer.end ? der.subarray(first.start, first.end) : null;
}

/**
 * A structure that is not what its schema says: the message names the element and what was
 * found instead. Parsers catch it and wrap it in their own CertpushError with the fix.
 */
export class DerError extends Error {}

/** The TLV at `offset`, which must have tag `tag` and end by `end` (its parent's end). */
export function expectTlv(der: Uint8Array, offset: number, end: number, tag: number, what: string): Tlv {
  const tlv = offset < end ? readTlv(der, offset) : null;
  if (!tlv || tlv.end > end) throw new DerError(`${what} is missing or cut short (byte ${offset})`);
  if (tlv.tag !== tag) throw new DerError(`${what} has tag 0x${hex2(tlv.tag)} where 0x${hex2(tag)} was expected (byte ${offset})`);
  return tlv;
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
  let value = 0n;
  let small = 0;
  let fitsNumber = true;
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    const byte = der[i]!;
    // DER: each sub-identifier in the fewest bytes, so none starts with 0x80.
    if (byte === 0x80 && (i === tlv.contentStart || (der[i - 1]! & 0x80) === 0)) throw new DerError(`${what} is not minimally encoded`);
    // Arcs past 2^53 exist (UUID OIDs under 2.25 are 128-bit): those are counted in BigInt.
    if (fitsNumber && small >= 2 ** 45) { fitsNumber = false; value = BigInt(small); }
    if (fitsNumber) small = small * 128 + (byte & 0x7f);
    else value = value * 128n + BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(fitsNumber ? small : value);
      small = 0; value = 0n; fitsNumber = true;
    } else if (i === tlv.end - 1) {
      throw new DerError(`${what} ends inside a sub-identifier`);
    }
  }
  const first = arcs.shift()!;
  const [a, b] = typeof first === 'bigint' ? [2, first - 80n] : first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [a, b, ...arcs].join('.');
}

/** One DER element that must fill `bytes` exactly (an extension's value). */
export function soleElement(bytes: Uint8Array, tag: number, what: string): Tlv {
  const tlv = readTlv(bytes);
  if (!tlv || tlv.end !== bytes.length) throw new DerError(`${what} is not one well-formed DER element`);
  if (tlv.tag !== tag) throw new DerError(`${what} has tag 0x${tlv.tag.toString(16)} where 0x${tag.toString(16)} was expected`);
  return tlv;
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
