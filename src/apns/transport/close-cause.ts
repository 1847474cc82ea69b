// Close causes in the words an outcome's detail uses, the same for every transport.
import { errorName } from '../http2/frames.ts';
import type { CloseCause } from './transport.ts';

/**
 * This client found the server breaking HTTP/2 and closed the connection with GOAWAY(code).
 * `detector` names the HTTP/2 implementation that found it.
 */
export function protocolErrorCause(code: number, why: string, error?: Error, detector = 'certpush'): CloseCause {
  return { kind: 'protocol', code, message: `HTTP/2 protocol error detected by ${detector}: ${errorName(code)} (${why})`, error };
}

/** The server closed the connection with GOAWAY(code); `reason` is its debug data, if any. */
export function goawayCause(code: number, reason: string | undefined): CloseCause {
  return { kind: 'goaway', code, message: `APNs sent GOAWAY ${errorName(code)}${reason ? ` (${reason})` : ''}`, error: undefined };
}

/** TLS or TCP failed (the error keeps its code: the pool reads TLS alerts from it). */
export function socketCause(error: Error): CloseCause {
  return { kind: 'socket', code: undefined, message: error.message, error };
}

/** This client closed it on purpose (a dead PING, a connect timeout). */
export function localCause(message: string): CloseCause {
  return { kind: 'local', code: undefined, message, error: undefined };
}
