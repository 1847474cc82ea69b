// Picks the transport a client asked for.
import { CertpushWireTransport } from './certpush-wire.ts';
import { NodeHttp2Transport } from './node-http2.ts';
import type { Transport, TransportEvents, TransportName, TransportOptions, TransportStreamListener } from './transport.ts';

/** A new connection over `name`'s HTTP/2. */
export function createTransport<L extends TransportStreamListener>(name: TransportName, options: TransportOptions, events: TransportEvents): Transport<L> {
  return name === 'node' ? new NodeHttp2Transport<L>(options, events) : new CertpushWireTransport<L>(options, events);
}
