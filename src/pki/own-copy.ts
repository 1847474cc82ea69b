/**
 * `bytes` in a buffer of its own, not a slice of Node's shared Buffer pool. A small Buffer made
 * by `Buffer.from`/`allocUnsafe` is a view of a 64 KB slab (Node 24's `Buffer.poolSize`), and
 * while any view is alive the whole slab is: a 1.5 KB certificate kept for hours, made while
 * the rest of its slab held short-lived request data, keeps 64 KB resident. For buffers that
 * are kept (cached certificates, a session's bodies), not for ones used and dropped.
 */
export function ownCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return copy;
}
