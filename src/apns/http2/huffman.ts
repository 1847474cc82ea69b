// HPACK's static Huffman code (RFC 7541 Appendix B) and a table-driven decoder. Decoding only:
// certpush sends header strings raw (RFC 7541 allows either), but servers send Huffman.

/** RFC 7541 Appendix B: code (right-aligned) of each symbol 0–255, and 256 = EOS. */
const CODES = [
  0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
  0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
  0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
  0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
  0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
  0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
  0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
  0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
  0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
  0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
  0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
  0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
  0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
  0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
  0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
  0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
  0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
  0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
  0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
  0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
  0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
  0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
  0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
  0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
  0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
  0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
  0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
  0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
  0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
  0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
  0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
  0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
  0x3fffffff,
];

const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;

/** Bytes needed to Huffman-encode `bytes` (RFC 7541 §5.2: padded to whole octets). */
export function huffmanLength(bytes: Uint8Array): number {
  let bits = 0;
  for (const b of bytes) bits += LENGTHS[b]!;
  return (bits + 7) >> 3;
}

/** Huffman-encode (used by tests to check the decoder against the table, and for interop). */
export function huffmanEncode(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(huffmanLength(bytes));
  let acc = 0n;
  let bits = 0;
  let at = 0;
  for (const b of bytes) {
    acc = (acc << BigInt(LENGTHS[b]!)) | BigInt(CODES[b]!);
    bits += LENGTHS[b]!;
    while (bits >= 8) {
      bits -= 8;
      out[at++] = Number((acc >> BigInt(bits)) & 0xffn);
    }
  }
  // Pad with the most significant bits of EOS (all ones).
  if (bits > 0) out[at] = Number(((acc << BigInt(8 - bits)) | ((1n << BigInt(8 - bits)) - 1n)) & 0xffn);
  return out;
}

// The decoder is a state machine over the code tree, fed 4 bits at a time: for each internal
// node and nibble, the node reached and the symbol completed on the way (at most one: the
// shortest code is 5 bits).
const children: number[] = [-1, -1];
let nodeCount = 1;
for (let sym = 0; sym <= EOS; sym++) {
  const code = CODES[sym]!;
  const length = LENGTHS[sym]!;
  let node = 0;
  for (let bit = length - 1; bit >= 0; bit--) {
    const side = (code >>> bit) & 1;
    const slot = node * 2 + side;
    if (bit === 0) {
      children[slot] = -(sym + 1);
    } else {
      if (children[slot] === -1 || children[slot] === undefined) {
        children[slot] = nodeCount++;
        children.push(-1, -1);
      }
      node = children[slot]!;
    }
  }
}

const NEXT = new Uint16Array(nodeCount * 16);
/** Symbol completed (0–255), -1 none, 256 EOS (an error in a string). */
const EMIT = new Int16Array(nodeCount * 16);
/** Nodes where a string may end: on the all-ones path from the root, at most 7 bits deep. */
const ACCEPT = new Uint8Array(nodeCount);
for (let node = 0, depth = 0; depth <= 7; depth++) {
  ACCEPT[node] = 1;
  const next = children[node * 2 + 1]!;
  if (next < 0) break;
  node = next;
}
for (let node = 0; node < nodeCount; node++) {
  for (let nibble = 0; nibble < 16; nibble++) {
    let at = node;
    let emit = -1;
    for (let bit = 3; bit >= 0; bit--) {
      const child = children[at * 2 + ((nibble >> bit) & 1)]!;
      if (child < 0) {
        emit = -child - 1;
        at = 0;
      } else {
        at = child;
      }
    }
    NEXT[node * 16 + nibble] = at;
    EMIT[node * 16 + nibble] = emit;
  }
}

let scratch = Buffer.allocUnsafe(4096);

/**
 * Decode a Huffman-coded string (latin1 result); null when it is not valid HPACK Huffman
 * (EOS inside, or padding that is not 1-bits, or 8 bits or longer).
 */
export function huffmanDecode(data: Uint8Array, start: number, end: number): string | null {
  const max = ((end - start) * 8) / 5 + 1;
  if (scratch.length < max) scratch = Buffer.allocUnsafe(Math.ceil(max));
  let out = 0;
  let node = 0;
  for (let i = start; i < end; i++) {
    const byte = data[i]!;
    let at = node * 16 + (byte >> 4);
    let emit = EMIT[at]!;
    if (emit >= 0) {
      if (emit === EOS) return null;
      scratch[out++] = emit;
    }
    at = NEXT[at]! * 16 + (byte & 15);
    emit = EMIT[at]!;
    if (emit >= 0) {
      if (emit === EOS) return null;
      scratch[out++] = emit;
    }
    node = NEXT[at]!;
  }
  if (!ACCEPT[node]) return null;
  return scratch.toString('latin1', 0, out);
}
