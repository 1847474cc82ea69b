// Small HTTP/2 servers for session tests, each misbehaving one way: node:http2 with a per-stream
// handler, a raw-frame server (bytes we choose), and a TCP server that drops every connection.
// Closed at the end of the test file.
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { ApnsClient, type ApnsClientOptions } from '../../src/apns/client.ts';
import type { TransportName } from '../../src/apns/transport/transport.ts';
import { atEnd, testPki } from '../fixtures/pki.ts';
import { pushIdentity } from './fixtures.ts';

export interface TestServer {
  url: string;
  /** Connections accepted (TCP). */
  connections: number;
  /** When each connection arrived (ms since epoch). */
  connectedAt: number[];
  /** Streams the server saw. */
  streams: number;
  /** RST_STREAM codes the client sent, by code. */
  resets: Record<number, number>;
  /** Sessions open now. */
  open: number;
  close(): Promise<void>;
}

export type StreamHandler = (stream: http2.ServerHttp2Stream, ordinal: number, session: http2.ServerHttp2Session) => void;

/** A node:http2 TLS server that hands each request stream to `handle` once its body is in. */
export async function h2Server(handle: StreamHandler, settings: http2.Settings = {}): Promise<TestServer> {
  const pki = await testPki();
  const server = http2.createSecureServer({ ...pki.server, settings });
  const sessions = new Set<http2.ServerHttp2Session>();
  const stats: TestServer = {
    url: '', connections: 0, connectedAt: [], streams: 0, resets: {}, open: 0,
    close: async () => {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', () => { stats.connections++; stats.connectedAt.push(Date.now()); });
  server.on('session', (session) => {
    sessions.add(session);
    stats.open++;
    session.on('error', () => {});
    session.on('close', () => { sessions.delete(session); stats.open--; });
  });
  server.on('sessionError', () => {});
  server.on('stream', (stream, _headers) => {
    const ordinal = ++stats.streams;
    stream.on('error', () => {});
    stream.on('close', () => { if (stream.rstCode) stats.resets[stream.rstCode] = (stats.resets[stream.rstCode] ?? 0) + 1; });
    stream.resume();
    stream.on('end', () => { if (!stream.destroyed && stream.session) handle(stream, ordinal, stream.session as http2.ServerHttp2Session); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stats.url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  atEnd(() => stats.close());
  return stats;
}

/** A TCP server that accepts and at once drops every connection (no TLS, no HTTP/2). */
export async function droppingServer(): Promise<TestServer> {
  const stats: TestServer = { url: '', connections: 0, connectedAt: [], streams: 0, resets: {}, open: 0, close: async () => {} };
  const server = net.createServer((socket) => {
    stats.connections++;
    stats.connectedAt.push(Date.now());
    socket.on('error', () => {});
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stats.url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  stats.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  atEnd(() => stats.close());
  return stats;
}

/**
 * A TLS server speaking raw HTTP/2 frames: it sends an empty SETTINGS, ACKs the client's, and
 * answers each request's HEADERS by calling `answer(streamId, socket)`, which writes what it likes.
 */
export async function rawFrameServer(answer: (streamId: number, socket: tls.TLSSocket) => void): Promise<TestServer> {
  const pki = await testPki();
  const stats: TestServer = { url: '', connections: 0, connectedAt: [], streams: 0, resets: {}, open: 0, close: async () => {} };
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ ...pki.server, ALPNProtocols: ['h2'] }, (socket) => {
    stats.connections++;
    stats.connectedAt.push(Date.now());
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.write(frame(0x4, 0, 0, Buffer.alloc(0)));
    let buffered = Buffer.alloc(0);
    let prefaceSeen = false;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!prefaceSeen) {
        if (buffered.length < 24) return;
        buffered = buffered.subarray(24);
        prefaceSeen = true;
      }
      while (buffered.length >= 9) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < 9 + length) break;
        const type = buffered[3]!;
        const flags = buffered[4]!;
        const id = buffered.readUInt32BE(5) & 0x7fffffff;
        buffered = buffered.subarray(9 + length);
        if (type === 0x4 && !(flags & 0x1)) socket.write(frame(0x4, 0x1, 0, Buffer.alloc(0)));
        if (type === 0x1) {
          stats.streams++;
          answer(id, socket);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stats.url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  stats.close = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  atEnd(() => stats.close());
  return stats;
}

/** A GOAWAY frame: last stream id, error code. */
export function goawayFrame(lastStreamId: number, code: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  return frame(0x7, 0, 0, payload);
}

/** One HTTP/2 frame: 9-byte header and payload. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** A certificate-auth client for a test server, closed at the end. */
export async function clientFor(server: TestServer, transport: TransportName, options: Partial<ApnsClientOptions> = {}): Promise<ApnsClient> {
  const pki = await testPki();
  const id = await pushIdentity();
  const client = new ApnsClient({ transport, endpoint: server.url, ca: pki.serverCa.cert, certificate: { cert: id.cert, key: id.key }, ...options });
  atEnd(() => client.close());
  return client;
}
