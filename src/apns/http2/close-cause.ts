import { errorName } from './frames.ts';

/**
 * Why a connection or a stream ended, for an outcome a person can act on: "protocol error
 * detected by certpush: COMPRESSION_ERROR (…)" rather than "closed before APNs answered".
 */
export interface CloseCause {
  /** The RFC 9113 §7 error code; -1 when the transport ended with no HTTP/2 code (TCP/TLS). */
  code: number;
  /** Its name (`COMPRESSION_ERROR`), or `TRANSPORT` for -1. */
  codeName: string;
  /**
   * Who decided: `certpush` (we found a violation or chose to close), `peer` (its GOAWAY or
   * RST_STREAM), or `transport` (the socket failed or closed without a GOAWAY).
   */
  by: 'certpush' | 'peer' | 'transport';
  /** Our message, or the peer's GOAWAY debug data as text. */
  detail: string;
}

export function closeCause(code: number, by: CloseCause['by'], detail: string): CloseCause {
  return { code, codeName: code < 0 ? 'TRANSPORT' : errorName(code), by, detail };
}

/** One line for an error message or an outcome's detail. */
export function describeCause(cause: CloseCause): string {
  const what = cause.detail ? ` (${cause.detail})` : '';
  if (cause.by === 'certpush') return cause.code <= 0 ? `closed by certpush${what}` : `protocol error detected by certpush: ${cause.codeName}${what}`;
  if (cause.by === 'peer') return `the server sent ${cause.codeName}${what}`;
  return `the connection failed${what}`;
}

/** The error a connection closes with: its message describes the cause, `closeCause` holds it. */
export class Http2ConnectionError extends Error {
  readonly closeCause: CloseCause;

  constructor(cause: CloseCause) {
    super(`HTTP/2 ${describeCause(cause)}`);
    this.closeCause = cause;
  }
}
