// certpush's HTTP/2 client wire against Node's HTTP/2 server (nghttp2): flow control,
// CONTINUATION, padding, PING, GOAWAY — the parts an APNs simulator never exercises.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { type ConnectionEvents, Http2ClientConnection, type StreamListener } from '../../../src/apns/http2/connection.ts';
import { encodeHeaderBlock } from '../../../src/apns/http2/hpack.ts';
import { atEnd, testPki } from '../../fixtures/pki.ts';

async function server(options: http2.SecureServerOptions, handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void): Promise<{ port: number; server: http2.Http2SecureServer }> {
  const pki = await testPki();
  const srv = http2.createSecureServer({ ...pki.server, ...options });
  srv.on('stream', (stream, headers) => { stream.on('error', () => {}); handler(stream, headers); });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  atEnd(() => new Promise<void>((resolve) => srv.close(() => resolve())));
  return { port: (srv.address() as AddressInfo).port, server: srv };
}

interface Response { fields: string[]; body: Buffer; reset?: [number, boolean] }

async function connect(port: number, events: Partial<ConnectionEvents> = {}): Promise<Http2ClientConnection> {
  const pki = await testPki();
  return new Promise((resolve, reject) => {
    const connection: Http2ClientConnection = new Http2ClientConnection({ host: '127.0.0.1', port, servername: undefined, tls: { ca: pki.serverCa.cert } }, {
      ready: () => resolve(connection),
      settings: () => {},
      streamClosed: () => {},
      goaway: () => {},
      pingAck: () => {},
      closed: (error) => reject(error ?? new Error('closed')),
      ...events,
    });
    atEnd(() => connection.destroy());
  });
}

function request(connection: Http2ClientConnection, fields: Array<[string, string]>, body: Buffer): Promise<Response> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let headers: string[] = [];
    const listener: StreamListener = {
      onHeaders(f, end) { headers = headers.concat(f); if (end) resolve({ fields: headers, body: Buffer.concat(chunks) }); },
      onData(d, end) { chunks.push(Buffer.from(d)); if (end) resolve({ fields: headers, body: Buffer.concat(chunks) }); },
      onReset(code, unprocessed) { resolve({ fields: headers, body: Buffer.concat(chunks), reset: [code, unprocessed] }); },
    };
    const block = encodeHeaderBlock([[':method', 'POST'], [':scheme', 'https'], [':authority', 'localhost'], [':path', '/'], ...fields]);
    connection.request((out, at, b: Buffer) => at + b.copy(out, at), block, block.length, body, listener);
  });
}

const echo = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'x-echo': String(headers['x-value'] ?? '') });
    stream.end(Buffer.concat(chunks));
  });
};

test('a body larger than the server\'s stream window is sent as WINDOW_UPDATEs allow', async () => {
  const { port } = await server({ settings: { initialWindowSize: 100 } }, echo);
  const connection = await connect(port);
  const body = Buffer.alloc(5000, 'x');
  const r = await request(connection, [], body);
  assert.equal(r.body.length, 5000);
  assert.ok(r.body.equals(body));
});

test('a large response header block arrives across CONTINUATION frames', async () => {
  const { port } = await server({ maxHeaderListPairs: 2000 }, (stream) => {
    stream.respond({ ':status': 200, 'x-big': 'v'.repeat(30_000) }, { endStream: true });
  });
  const connection = await connect(port);
  const r = await request(connection, [], Buffer.from('{}'));
  assert.equal(r.fields[r.fields.indexOf('x-big') + 1]!.length, 30_000);
});

test('padded frames from the server are read correctly', async () => {
  const { port } = await server({ paddingStrategy: http2.constants.PADDING_STRATEGY_MAX }, echo);
  const connection = await connect(port);
  const r = await request(connection, [['x-value', 'hello']], Buffer.from('padded body'));
  assert.equal(r.body.toString(), 'padded body');
  assert.equal(r.fields[r.fields.indexOf('x-echo') + 1], 'hello');
});

test('header values round-trip through the server\'s HPACK (Huffman and dynamic table)', async () => {
  const { port } = await server({}, echo);
  const connection = await connect(port);
  const values = ['a', 'same', 'same', 'Mon, 21 Oct 2013 20:13:21 GMT', '~!@#$%^&*()_+{}|:"<>?', 'x'.repeat(500), 'same', 'ünïcödé'];
  for (const value of values) {
    const r = await request(connection, [['x-value', value]], Buffer.from('{}'));
    assert.equal(Buffer.from(r.fields[r.fields.indexOf('x-echo') + 1]!, 'latin1').toString('utf8'), value);
  }
});

test('a server PING is answered', async () => {
  let serverSession: http2.ServerHttp2Session | undefined;
  const { server: srv, port } = await server({}, echo);
  srv.on('session', (s) => { serverSession = s; });
  await connect(port);
  const duration = await new Promise<number>((resolve, reject) => serverSession!.ping((error, ms) => error ? reject(error) : resolve(ms)));
  assert.ok(duration >= 0);
});

test('our PING is acknowledged', async () => {
  const { port } = await server({}, echo);
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => { acked = resolve; });
  const connection = await connect(port, { pingAck: () => acked() });
  connection.ping();
  await ack;
});

test('streams above a GOAWAY\'s last stream id come back unprocessed', async () => {
  let count = 0;
  const { port } = await server({}, (stream) => {
    if (++count === 1) {
      stream.session!.goaway(0, stream.id!);
      setTimeout(() => { stream.respond({ ':status': 200 }, { endStream: true }); }, 50);
    }
  });
  let goaway: number | undefined;
  const connection = await connect(port, { goaway: (last) => { goaway = last; } });
  const first = request(connection, [], Buffer.from('1'));
  const second = request(connection, [], Buffer.from('2'));
  const [a, b] = await Promise.all([first, second]);
  assert.equal(goaway, 1);
  assert.equal(a.fields[1], '200');
  assert.deepEqual(b.reset, [7, true]);
  assert.equal(connection.canOpenStream, false);
});

test('the server\'s SETTINGS_MAX_CONCURRENT_STREAMS is followed', async () => {
  const { port } = await server({ settings: { maxConcurrentStreams: 3 } }, echo);
  const connection = await connect(port);
  assert.equal(connection.remoteMaxConcurrentStreams, 3);
  const pending = [request(connection, [], Buffer.from('a')), request(connection, [], Buffer.from('b')), request(connection, [], Buffer.from('c'))];
  assert.equal(connection.canOpenStream, false);
  await Promise.all(pending);
  assert.equal(connection.canOpenStream, true);
});

for (const headerTableSize of [0, 100]) {
  test(`a server with SETTINGS_HEADER_TABLE_SIZE ${headerTableSize} accepts every request (RFC 7541 §4.2 size update sent)`, async () => {
    const { port } = await server({ settings: { headerTableSize } }, echo);
    const connection = await connect(port);
    for (let i = 0; i < 3; i++) {
      const r = await request(connection, [['x-value', `v${i}`]], Buffer.from('{}'));
      assert.equal(r.reset, undefined, `request ${i} was reset: ${JSON.stringify(r.reset)}`);
      assert.equal(r.fields[r.fields.indexOf('x-echo') + 1], `v${i}`);
    }
  });
}

test('a server that lowers SETTINGS_HEADER_TABLE_SIZE mid-connection still accepts the next requests', async () => {
  let serverSession: http2.ServerHttp2Session | undefined;
  const { server: srv, port } = await server({}, echo);
  srv.on('session', (s) => { serverSession = s; });
  const connection = await connect(port);
  assert.equal((await request(connection, [['x-value', 'before']], Buffer.from('{}'))).reset, undefined);
  await new Promise<void>((resolve) => serverSession!.settings({ headerTableSize: 0 }, () => resolve()));
  for (const value of ['after', 'again']) {
    const r = await request(connection, [['x-value', value]], Buffer.from('{}'));
    assert.equal(r.reset, undefined);
    assert.equal(r.fields[r.fields.indexOf('x-echo') + 1], value);
  }
});
