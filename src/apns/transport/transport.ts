// The seam between an APNs session and the HTTP/2 implementation under it. A session asks for
// streams, hears what happens on them, and never touches frames or HPACK: so certpush's own wire
// (certpush-wire.ts) and node:http2 (node-http2.ts) are interchangeable, and every APNs test runs
// over both.
import type { SecureContextOptions } from 'node:tls';
import type { ConnectionLimits } from '../http2/connection.ts';
import type { PreparedRequest } from '../notification.ts';

/** Which HTTP/2 implementation a client uses. */
export type TransportName = 'certpush' | 'node';

export const TRANSPORT_NAMES: readonly TransportName[] = ['certpush', 'node'];

/** What happens on one request stream. */
export interface TransportStreamListener {
  /** A header block (the response's, 1xx, or trailers). Fields are [name, value, …]. */
  onHeaders(fields: string[], endStream: boolean): void;
  /** Response body bytes (may be a view into a read buffer: copy to keep). */
  onData(data: Buffer, endStream: boolean): void;
  /**
   * The stream ended without a complete response. `code`: the server's RST_STREAM code, or -1
   * when the connection went away. `unprocessed`: the server certainly did not process it
   * (REFUSED_STREAM, or above a GOAWAY's last stream id), so it may be sent again without a
   * duplicate. `cause`: for -1, why the connection went away — when the transport knows it
   * only later, it is undefined here and `closed(cause)` follows in the same turn.
   */
  onReset(code: number, unprocessed: boolean, cause?: CloseCause): void;
}

/**
 * Why a connection closed, as precisely as the transport knows. `message` is written for an
 * outcome's `detail`: it names who saw the problem and the HTTP/2 error code.
 */
export interface CloseCause {
  /**
   * `protocol`: this client found the server breaking HTTP/2 and closed with GOAWAY(code);
   * `goaway`: the server closed with GOAWAY(code); `socket`: TLS/TCP failed or ended;
   * `local`: this client closed it (timeout, dead PING, close()).
   */
  kind: 'protocol' | 'goaway' | 'socket' | 'local';
  /** The HTTP/2 error code, for `protocol` and `goaway`. */
  code: number | undefined;
  message: string;
  /** The underlying error, when there is one (a TLS alert keeps its `code`). */
  error: Error | undefined;
}

/** What a transport tells its session. */
export interface TransportEvents {
  /** Connected, HTTP/2 agreed, and the server's first SETTINGS arrived. */
  ready(): void;
  /** The server changed its SETTINGS (e.g. MAX_CONCURRENT_STREAMS). */
  settings(): void;
  /** A stream closed: a slot is free. */
  streamClosed(): void;
  goaway(lastStreamId: number, code: number, debug: Buffer): void;
  pingAck(): void;
  /**
   * Stream ids are used up (RFC 9113 §5.1.1): this connection takes no new streams and closes
   * once its open ones end. The session stops using it, so the pool opens another at once.
   */
  exhausted(): void;
  /** Closed; every open stream heard onReset first. */
  closed(cause: CloseCause | undefined): void;
}

export interface TransportOptions {
  host: string;
  port: number;
  servername: string | undefined;
  /** `host:port` as requests name it (`:authority`). */
  authority: string;
  tls: SecureContextOptions;
  /** The wire's limits (stream ids, windows), lowered by tests; node:http2 ignores them. */
  wireLimits?: ConnectionLimits;
}

/** One HTTP/2 connection as a session sees it. */
export interface Transport<L extends TransportStreamListener> {
  /** Streams open now. */
  readonly active: number;
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS (unlimited until it says). */
  readonly remoteMaxConcurrentStreams: number;
  /** Ready, not going away, and below the server's stream limit. */
  readonly canOpenStream: boolean;
  /** Open a stream for `request` (POST /3/device/…) with its headers and body. Returns the stream id. */
  request(request: PreparedRequest, authorization: string | undefined, listener: L): number;
  /** The listeners of the open streams (a snapshot). */
  listeners(): L[];
  /** Abandon a stream with RST_STREAM(code): its listener hears nothing more, its slot is free. */
  cancel(id: number, code: number): void;
  /** Send a PING; `pingAck` fires when the server answers. */
  ping(): void;
  /** Open no more streams; say GOAWAY and close once the open ones are done. */
  close(): void;
  /** Close now; open streams hear onReset(-1) with `cause`. */
  destroy(cause?: CloseCause): void;
  /** Hold the process open (while there is work) or not. */
  ref(): void;
  unref(): void;
}

export type TransportFactory = <L extends TransportStreamListener>(options: TransportOptions, events: TransportEvents) => Transport<L>;
