/**
 * DER encoding of the few structures certpush makes itself (a PKCS#10 request's parts): a TLV
 * with a definite minimal length, and object identifiers. The reading side is der.ts.
 */

/** One TLV: `tag`, the minimal definite length, then `contents` concatenated. */
export function derTlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const length = contents.reduce((n, c) => n + c.length, 0);
  const lengthBytes = bigEndian(length);
  const header = length < 0x80 ? [tag, length] : [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  return Buffer.concat([Buffer.from(header), ...contents]);
}

/** An OBJECT IDENTIFIER from its dotted text. */
export function derOid(oid: string): Buffer {
  const arcs = oid.split('.').map((arc) => BigInt(arc));
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const group = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) group.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...group);
  }
  return derTlv(0x06, Buffer.from(bytes));
}

function bigEndian(n: number): number[] {
  const out: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) out.unshift(rest % 256);
  return out;
}
