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
