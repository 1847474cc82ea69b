// The transport over certpush's own HTTP/2 wire (../http2/): request header blocks are written
// straight into the connection's output buffer, with the fixed fields HPACK-encoded once.
import { ownCopy } from '../../pki/own-copy.ts';
import { type CloseCause as WireCloseCause, describeCause } from '../http2/close-cause.ts';
import { Http2ClientConnection, type StreamListener } from '../http2/connection.ts';
import { literalFieldMaxBytes, literalFieldName, writeIndexedField, writeLiteralField, writeLiteralValue } from '../http2/hpack.ts';
import type { PreparedRequest } from '../notification.ts';
import { DEVICE_PATH_PREFIX } from '../request-rules.ts';
import { localCause, protocolErrorCause, socketCause } from './close-cause.ts';
import type { CloseCause, Transport, TransportEvents, TransportOptions, TransportStreamListener } from './transport.ts';

/** What the header encoder needs: one object per connection, so no closure per request. */
interface Pending {
  wire: CertpushWireTransport<TransportStreamListener>;
  request: PreparedRequest;
}

/**
 * The wire's listener for one stream: hands everything to the session's listener, with the
 * wire's close cause in the seam's words. One small object per request.
 */
class WireStream<L extends TransportStreamListener> implements StreamListener {
  readonly listener: L;

  constructor(listener: L) {
    this.listener = listener;
  }

  onHeaders(fields: string[], endStream: boolean): void {
    this.listener.onHeaders(fields, endStream);
  }

  onData(data: Buffer, endStream: boolean): void {
    this.listener.onData(data, endStream);
  }

  onReset(code: number, unprocessed: boolean, cause?: WireCloseCause): void {
    this.listener.onReset(code, unprocessed, cause === undefined ? undefined : seamCause(cause, undefined));
  }
}

export class CertpushWireTransport<L extends TransportStreamListener> implements Transport<L> {
  readonly #connection: Http2ClientConnection<WireStream<L>>;
  /** `:method POST`, `:scheme https`, `:authority` — the same on every request. */
  readonly #prefix: Buffer;
  #authorization: string | undefined;
  #authorizationField: Buffer = Buffer.alloc(0);
  /** Why we destroyed it ourselves, if we did. */
  #localCause: CloseCause | undefined;
  readonly #pending: Pending = { wire: this as unknown as CertpushWireTransport<TransportStreamListener>, request: undefined as unknown as PreparedRequest };

  constructor(options: TransportOptions, events: TransportEvents) {
    const prefix = Buffer.allocUnsafe(2 + literalFieldMaxBytes(10, Buffer.byteLength(options.authority)));
    let at = writeIndexedField(prefix, 0, 3); // :method POST
    at = writeIndexedField(prefix, at, 7); // :scheme https
    at = writeLiteralField(prefix, at, ':authority', options.authority);
    // A copy of its own: a slice of the small allocation would keep a 64 KB slab of Node's Buffer pool alive with the session.
    this.#prefix = ownCopy(prefix.subarray(0, at));
    this.#connection = new Http2ClientConnection<WireStream<L>>({ host: options.host, port: options.port, servername: options.servername, tls: options.tls, ...options.wireLimits }, {
      ready: () => events.ready(),
      settings: () => events.settings(),
      streamClosed: () => events.streamClosed(),
      goaway: (lastStreamId, code, debug) => events.goaway(lastStreamId, code, debug),
      pingAck: () => events.pingAck(),
      exhausted: () => events.exhausted(),
      closed: (error, cause) => events.closed(this.#localCause ?? (cause === undefined ? undefined : seamCause(cause, error))),
    });
  }

  get active(): number {
    return this.#connection.active;
  }

  get remoteMaxConcurrentStreams(): number {
    return this.#connection.remoteMaxConcurrentStreams;
  }

  get canOpenStream(): boolean {
    return this.#connection.canOpenStream;
  }

  request(r: PreparedRequest, authorization: string | undefined, listener: L): number {
    if (authorization !== this.#authorization) {
      this.#authorization = authorization;
      const field = Buffer.allocUnsafe(authorization === undefined ? 0 : literalFieldMaxBytes(13, Buffer.byteLength(authorization)));
      this.#authorizationField = authorization === undefined ? field : ownCopy(field.subarray(0, writeLiteralField(field, 0, 'authorization', authorization)));
    }
    // Names, length prefixes and the fixed values fit in REQUEST_FIELDS_MAX_BYTES; token and
    // topic are ASCII (checked), a collapse id at most 64 bytes of UTF-8.
    const max = this.#prefix.length + this.#authorizationField.length + REQUEST_FIELDS_MAX_BYTES
      + r.token.length + r.topic.length + (r.collapseId === undefined ? 0 : 3 * r.collapseId.length);
    this.#pending.request = r;
    try {
      return this.#connection.request(encodeRequestHeaders, this.#pending, max, r.body, new WireStream(listener));
    } finally {
      // Not kept past the encoding: the last request's body, a slice of Node's 64 KB Buffer
      // pool, would hold that whole slab for as long as the session lives.
      this.#pending.request = undefined as unknown as PreparedRequest;
    }
  }

  listeners(): L[] {
    return this.#connection.listeners().map((stream) => stream.listener);
  }

  cancel(id: number, code: number): void {
    this.#connection.cancel(id, code);
  }

  ping(): void {
    this.#connection.ping();
  }

  /**
   * After the server's GOAWAY the connection already closes once its open streams end (RFC 9113
   * §6.8: those at or below the last stream id may still complete), so there is nothing to do:
   * the wire's own close() would end them at once. The session's close timer bounds the wait.
   */
  close(): void {
    if (this.#connection.goawayLastStreamId >= 0) return;
    this.#connection.close();
  }

  destroy(cause?: CloseCause): void {
    this.#localCause ??= cause;
    this.#connection.destroy(cause === undefined ? undefined : (cause.error ?? new Error(cause.message)));
  }

  ref(): void {
    this.#connection.ref();
  }

  unref(): void {
    this.#connection.unref();
  }

  /** The header block: pseudo-headers first (RFC 9113 §8.3), then authorization and APNs' headers. */
  writeHeaders(out: Buffer, at: number, r: PreparedRequest): number {
    at += this.#prefix.copy(out, at);
    at = writeLiteralValue(out, at + PATH.copy(out, at), DEVICE_PATH_PREFIX, r.token);
    at += this.#authorizationField.copy(out, at);
    at = writeLiteralValue(out, at + APNS_ID.copy(out, at), r.apnsId);
    at = writeLiteralValue(out, at + APNS_TOPIC.copy(out, at), r.topic);
    at = writeLiteralValue(out, at + APNS_PUSH_TYPE.copy(out, at), r.pushType);
    if (r.priority !== undefined) at = writeLiteralValue(out, at + APNS_PRIORITY.copy(out, at), r.priority);
    if (r.expiration !== undefined) at = writeLiteralValue(out, at + APNS_EXPIRATION.copy(out, at), r.expiration);
    if (r.collapseId !== undefined) at = writeLiteralValue(out, at + APNS_COLLAPSE_ID.copy(out, at), r.collapseId);
    return at;
  }
}

/** Writes a request's header block (a plain function: no closure per request). */
function encodeRequestHeaders(out: Buffer, at: number, pending: Pending): number {
  return pending.wire.writeHeaders(out, at, pending.request);
}

/**
 * The wire's close cause in the seam's words: a violation certpush found is `protocol`, a close
 * certpush chose (code NO_ERROR or none) `local`, the server's GOAWAY or RST_STREAM `goaway`,
 * a socket that failed or ended `socket` (keeping the error: the pool reads TLS alerts from it).
 */
function seamCause(cause: WireCloseCause, error: Error | undefined): CloseCause {
  if (cause.by === 'certpush') return cause.code > 0 ? protocolErrorCause(cause.code, cause.detail, error) : localCause(cause.detail);
  if (cause.by === 'peer') return { kind: 'goaway', code: cause.code, message: `HTTP/2 ${describeCause(cause)}`, error };
  return socketCause(error ?? new Error(cause.detail));
}

// The names of the fields every request carries, HPACK-encoded once.
const PATH = literalFieldName(':path');
const APNS_ID = literalFieldName('apns-id');
const APNS_TOPIC = literalFieldName('apns-topic');
const APNS_PUSH_TYPE = literalFieldName('apns-push-type');
const APNS_PRIORITY = literalFieldName('apns-priority');
const APNS_EXPIRATION = literalFieldName('apns-expiration');
const APNS_COLLAPSE_ID = literalFieldName('apns-collapse-id');
/** Upper bound of the request fields' bytes besides token, topic and collapse id: six names of at most 16 bytes with their length prefixes, `/3/device/`, a 36-byte apns-id, push type, priority and expiration. */
const REQUEST_FIELDS_MAX_BYTES = 256;

