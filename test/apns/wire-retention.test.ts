// What certpush's wire keeps of a request once it has been sent: nothing. A session lives for
// minutes and there is one per tenant certificate, so whatever it keeps is multiplied by the
// tenants — a request body is a slice of Node's 64 KB Buffer pool, and one kept body holds the
// slab; so does any small Buffer a session keeps for its life (its TLS socket's ALPN list).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { prepareNotification, type PreparedRequest } from '../../src/apns/notification.ts';
import { CertpushWireTransport } from '../../src/apns/transport/certpush-wire.ts';
import type { TransportStreamListener } from '../../src/apns/transport/transport.ts';
import { testPki } from '../fixtures/pki.ts';
import { deviceToken } from './fixtures.ts';
import { frame, rawFrameServer } from './h2-test-server.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

test('an answered request is not kept by its session: its body can be collected', async () => {
  const pki = await testPki();
  // :status 200 (HPACK static entry 8), END_STREAM | END_HEADERS.
  const server = await rawFrameServer((id, socket) => socket.write(frame(0x1, 0x5, id, Buffer.from([0x88]))));
  const url = new URL(server.url);
  const { promise: ready, resolve: isReady } = Promise.withResolvers<void>();
  const transport = new CertpushWireTransport<TransportStreamListener>({
    host: url.hostname, port: Number(url.port), servername: undefined, authority: url.host, tls: { ca: pki.serverCa.cert },
  }, { ready: isReady, settings() {}, streamClosed() {}, goaway() {}, pingAck() {}, exhausted() {}, closed() {} });
  await ready;
  const sent = async (): Promise<WeakRef<PreparedRequest>> => {
    const request = prepareNotification({ token: deviceToken(1), payload: { aps: { alert: 'hi' } }, topic: 'com.example.app' }, undefined) as PreparedRequest;
    const { promise: answered, resolve } = Promise.withResolvers<void>();
    transport.request(request, undefined, { onHeaders: (_fields, end) => { if (end) resolve(); }, onData() {}, onReset: () => resolve() });
    await answered;
    return new WeakRef(request);
  };
  const request = await sent();
  await new Promise((r) => setImmediate(r));
  gc();
  assert.equal(request.deref(), undefined, 'the session still holds the request it sent last');
  transport.destroy();
  await server.close();
});

test('a session holds no slab of Node\'s Buffer pool: what it keeps in Buffers stays small', async () => {
  const pki = await testPki();
  // The server runs in a thread of its own (its Buffers are not counted in this isolate's) and
  // keeps nothing per connection: its SETTINGS once, then the client's SETTINGS acknowledged.
  const server = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const tls = require('node:tls');
    const frame = (flags) => Buffer.from([0, 0, 0, 4, flags, 0, 0, 0, 0]);
    const server = tls.createServer({ ...workerData, ALPNProtocols: ['h2'] }, (socket) => {
      socket.on('error', () => {});
      socket.write(frame(0));
      socket.once('data', () => socket.write(frame(1)));
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
  `, { eval: true, workerData: pki.server });
  const port = await new Promise<number>((resolve) => server.once('message', resolve));

  const sessions = 16;
  const open = async () => {
    const { promise: ready, resolve } = Promise.withResolvers<void>();
    const transport = new CertpushWireTransport<TransportStreamListener>({
      host: '127.0.0.1', port, servername: undefined, authority: `127.0.0.1:${port}`, tls: { ca: pki.serverCa.cert },
    }, { ready: resolve, settings() {}, streamClosed() {}, goaway() {}, pingAck() {}, exhausted() {}, closed() {} });
    await ready;
    return transport;
  };
  // What Buffers hold, once dead ones are gone: V8 frees a dead buffer's memory after the
  // collection, concurrently, so collect, let that finish, and collect again.
  const buffersHeld = async () => {
    for (let i = 0; i < 2; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 50));
    }
    return process.memoryUsage().arrayBuffers;
  };
  // Warm up (TLS contexts, module state) first.
  (await open()).destroy();
  const before = await buffersHeld();
  const transports = [];
  let churn: Buffer[] = [];
  for (let i = 0; i < sessions; i++) {
    // Small pooled Buffers, as request handling makes them: more than a slab between two
    // sessions, so each session starts in a slab of its own, then all of them are dropped.
    for (let j = 0; j < 40; j++) churn.push(Buffer.allocUnsafe(2048));
    transports.push(await open());
  }
  churn = [];
  const perSession = ((await buffersHeld()) - before) / sessions;
  for (const t of transports) t.destroy();
  await server.terminate();
  // A 4 KB frame buffer (frame-writer.ts) and small parts; a slab kept would be 64 KB.
  assert.ok(perSession < 24 * 1024, `each open session keeps ${Math.round(perSession / 1024)} KB of Buffers (a kept pool slab is 64 KB)`);
});
