/**
 * A raw notification: bytes for the running app, which MPNS passes through untouched (no XML
 * envelope, no `X-WindowsPhone-Target`). A string is sent as UTF-8.
 *
 * @example { type: 'raw', data: JSON.stringify({ sync: true }) }
 */
export interface RawNotification {
  type: 'raw';
  data: Uint8Array | string;
}

/** The raw notification's body bytes. */
export function rawBody(raw: RawNotification): Buffer {
  return typeof raw.data === 'string' ? Buffer.from(raw.data, 'utf8') : Buffer.from(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
}
