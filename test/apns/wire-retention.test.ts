// What certpush's wire keeps of a request once it has been sent: nothing. A session lives for
// minutes and there is one per tenant certificate, so whatever it keeps is multiplied by the
// tenants — a request body is a slice of Node's 64 KB Buffer pool, and one kept body holds the slab.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
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
