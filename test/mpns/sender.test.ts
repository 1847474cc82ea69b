import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCertpushError } from '../../src/errors.ts';
import { MAX_PAYLOAD_BYTES } from '../../src/mpns/protocol.ts';
import { MpnsSender } from '../../src/mpns/sender.ts';
import { issueTestCertificate } from '../../src/simulators/test-pki.ts';
import { openssl, tempDir } from '../fixtures/pki.ts';
import { toPkcs12 } from './pkcs12-fixture.ts';
import { type SimulatorFixture, startSimulatorFixture } from './simulator-fixture.ts';

const toast = { type: 'toast', text1: 'Hello', text2: 'world' } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let f: SimulatorFixture;
let token = 0;

/** A fresh channel token per test, so tests do not share subscription state. */
function channel(options: { authenticated?: boolean; prefix?: string } = {}) {
  return f.simulator.channelUri(`${options.prefix ?? ''}phone-${++token}`, { authenticated: options.authenticated });
}

before(async () => {
  f = await startSimulatorFixture();
});
after(() => f.close());

describe('MPNS sender, authenticated', () => {
  it('takes three handshakes in a row ended by the server for a refusal of the client certificate, not a connection failure', async () => {
    // A clientAuth certificate from a root the simulator does not trust: it closes the TLS 1.2 handshake.
    const dir = tempDir();
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-subj', '/CN=stranger', '-days', '3', '-addext', 'extendedKeyUsage=clientAuth'], { cwd: dir });
    const sender = f.sender({ credential: { cert: fs.readFileSync(path.join(dir, 'c.pem'), 'utf8'), key: fs.readFileSync(path.join(dir, 'k.pem'), 'utf8') } });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await sender.send(channel({ authenticated: true }), toast));
    sender.close();
    assert.deepEqual(results.map((r) => [r.outcome, r.reason]), [['retry', 'ConnectionFailed'], ['retry', 'ConnectionFailed'], ['credential', 'ClientCertificateRejected']]);
    assert.match(results[2]!.message, /refuses the certificate/);
  });

  it('delivers a toast over HTTPS with the client certificate from PEM', async () => {
    const uri = channel({ authenticated: true });
    const result = await f.sender().send(uri, toast);
    assert.equal(result.outcome, 'delivered');
    const recorded = f.simulator.notifications.at(-1)!;
    assert.deepEqual([recorded.authenticated, recorded.clientCertificate, recorded.elements], [true, 'certpush-test-service', { Text1: 'Hello', Text2: 'world' }]);
  });

  it('delivers with the client certificate from a PKCS#12 bundle', async () => {
    const sender = f.sender({ credential: { pkcs12: toPkcs12(f.pki.mpnsClient, 'secret'), password: 'secret' } });
    assert.equal((await sender.send(channel({ authenticated: true }), toast)).outcome, 'delivered');
  });

  it('names its Service Name, the certificate CN', () => {
    assert.equal(f.sender().serviceName, 'certpush-test-service');
  });

  it('keeps no daily count for authenticated channels', async () => {
    const sender = f.sender({ dailyLimit: 2 });
    const uri = channel({ authenticated: true });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await sender.send(uri, toast));
    assert.deepEqual(results.map((r) => r.outcome), ['delivered', 'delivered', 'delivered', 'delivered']);
    assert.equal(results[3]!.quota, undefined);
  });

  it('reuses one kept-alive connection for sequential sends', async () => {
    const before = f.simulator.stats.connections.https;
    const sender = f.sender();
    const uri = channel({ authenticated: true });
    for (let i = 0; i < 10; i++) await sender.send(uri, toast);
    assert.equal(f.simulator.stats.connections.https - before, 1);
  });

  it('opens no more connections than maxSockets for a burst', async () => {
    const before = f.simulator.stats.connections.https;
    const sender = f.sender({ maxSockets: 2 });
    const uri = channel({ authenticated: true });
    const results = await Promise.all(Array.from({ length: 30 }, () => sender.send(uri, toast)));
    assert.ok(results.every((r) => r.outcome === 'delivered'));
    assert.ok(f.simulator.stats.connections.https - before <= 2);
  });

  it('delivers everything when the concurrency bound makes sends wait', async () => {
    const sender = f.sender({ concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => sender.send(channel({ authenticated: true }), { type: 'raw', data: `n${i}` })));
    assert.ok(results.every((r) => r.outcome === 'delivered'));
  });

  it('reports a missing client certificate without connecting', async () => {
    const requests = f.simulator.stats.requests;
    const result = await f.sender({ credential: undefined }).send(channel({ authenticated: true }), toast);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'NoClientCertificate']);
    assert.equal(f.simulator.stats.requests, requests);
  });

  it('reports an expired client certificate without connecting', async () => {
    const expired = await issueTestCertificate(f.pki.mpnsRoot, {
      commonName: 'certpush-test-service', extendedKeyUsage: ['clientAuth'], notBefore: new Date(Date.now() - 100 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000),
    });
    const result = await f.sender({ credential: expired }).send(channel({ authenticated: true }), toast);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'CertificateExpired']);
  });

  it('reports a client certificate that is not valid yet without connecting', async () => {
    const future = await issueTestCertificate(f.pki.mpnsRoot, {
      commonName: 'certpush-test-service', extendedKeyUsage: ['clientAuth'], notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 100 * 86_400_000),
    });
    const result = await f.sender({ credential: future }).send(channel({ authenticated: true }), toast);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'CertificateNotYetValid']);
  });

  it('gets no notification through with a certificate from a root MPNS does not allow', async () => {
    const foreign = await issueTestCertificate(f.pki.serverCa, { commonName: 'certpush-test-service', extendedKeyUsage: ['clientAuth'] });
    const accepted = f.simulator.notifications.length;
    const rejectedBefore = f.simulator.stats.tlsRejected;
    const result = await f.sender({ credential: foreign }).send(channel({ authenticated: true }), toast);
    assert.notEqual(result.outcome, 'delivered');
    assert.equal(f.simulator.notifications.length, accepted);
    assert.equal(f.simulator.stats.tlsRejected, rejectedBefore + 1);
  });

  it('does not trust the simulator without its CA, and says to pass it', async () => {
    const result = await f.sender({ ca: undefined }).send(channel({ authenticated: true }), toast);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'ServerNotTrusted']);
  });

  it('refuses at construction a certificate that does not allow client authentication', async () => {
    const serverOnly = await issueTestCertificate(f.pki.mpnsRoot, { commonName: 'svc', extendedKeyUsage: ['serverAuth'] });
    assert.throws(() => new MpnsSender({ credential: serverOnly }), (e) => isCertpushError(e, 'MPNS_NO_CLIENT_AUTH'));
  });

  it('refuses at construction a key that does not belong to the certificate', () => {
    assert.throws(() => new MpnsSender({ credential: { cert: f.pki.mpnsClient.cert, key: f.pki.server.key } }), (e) => isCertpushError(e, 'KEY_MISMATCH'));
  });
});

describe('MPNS sender, unauthenticated', () => {
  it('delivers a toast over HTTP and reports the day\'s count', async () => {
    const result = await f.sender().send(channel(), toast);
    assert.equal(result.outcome, 'delivered');
    assert.deepEqual([result.quota?.used, result.quota?.limit], [1, 500]);
    assert.equal(f.simulator.notifications.at(-1)!.authenticated, false);
  });

  it('refuses locally past the daily limit with "quota exhausted until <time> UTC"', async () => {
    const sender = f.sender({ dailyLimit: 3, now: () => new Date('2030-01-01T12:00:00Z') });
    const uri = channel();
    for (let i = 0; i < 3; i++) assert.equal((await sender.send(uri, toast)).outcome, 'delivered');
    const requests = f.simulator.stats.requests;
    const refused = await sender.send(uri, toast);
    assert.deepEqual([refused.outcome, refused.reason], ['retry', 'QuotaExhausted']);
    assert.match(refused.message, /^quota exhausted until 2030-01-02 00:00 UTC/);
    assert.equal(refused.retryAfterMs, 12 * 3_600_000);
    assert.equal(f.simulator.stats.requests, requests);
  });

  it('counts each subscription on its own', async () => {
    const sender = f.sender({ dailyLimit: 1 });
    await sender.send(channel(), toast);
    assert.equal((await sender.send(channel(), toast)).outcome, 'delivered');
  });

  it('stops sending for the day once MPNS answers 406', async () => {
    const strict = await startSimulatorFixture({ dailyLimit: 1 });
    try {
      const sender = strict.sender();
      const uri = strict.simulator.channelUri('phone');
      await sender.send(uri, toast);
      const throttled = await sender.send(uri, toast);
      assert.deepEqual([throttled.outcome, throttled.reason, throttled.status], ['retry', 'ThrottleLimit', 406]);
      const requests = strict.simulator.stats.requests;
      assert.equal((await sender.send(uri, toast)).reason, 'QuotaExhausted');
      assert.equal(strict.simulator.stats.requests, requests);
    } finally {
      await strict.close();
    }
  });
});

describe('MPNS sender, every MPNS answer', () => {
  it('delivers to a temporarily disconnected device (200 Received / TempDisconnected)', async () => {
    const result = await f.sender().send(channel({ prefix: 'disconnected-' }), toast);
    assert.deepEqual([result.outcome, result.deviceConnectionStatus], ['delivered', 'TempDisconnected']);
  });

  it('retries 200 QueueFull', async () => {
    const uri = channel();
    f.simulator.injectFault('queue-full', { token: new URL(uri).pathname.split('/').pop()! });
    const result = await f.sender().send(uri, toast);
    assert.deepEqual([result.outcome, result.reason, result.status], ['retry', 'QueueFull', 200]);
  });

  it('delivers 200 Suppressed as suppressed', async () => {
    const result = await f.sender().send(channel({ prefix: 'suppressed-' }), toast);
    assert.deepEqual([result.outcome, result.suppressed, result.notificationStatus], ['delivered', true, 'Suppressed']);
  });

  it('marks the subscription invalid on 404 Expired', async () => {
    const result = await f.sender().send(channel({ prefix: 'expired-', authenticated: true }), toast);
    assert.deepEqual([result.outcome, result.status, result.subscriptionStatus], ['invalid', 404, 'Expired']);
  });

  it('retries an inactive device (412) after more than an hour', async () => {
    const result = await f.sender().send(channel({ prefix: 'inactive-' }), toast);
    assert.deepEqual([result.outcome, result.reason, result.status], ['retry', 'DeviceInactive', 412]);
  });

  it('retries 503 Service Unavailable', async () => {
    const uri = channel({ authenticated: true });
    f.simulator.injectFault('unavailable', { token: new URL(uri).pathname.split('/').pop()! });
    const result = await f.sender().send(uri, toast, { attempt: 3 });
    assert.deepEqual([result.outcome, result.reason, result.retryAfterMs], ['retry', 'ServiceUnavailable', 4 * 60_000]);
  });

  it('rejects what MPNS calls a bad request (400)', async () => {
    const result = await f.sender().send(`${f.simulator.httpUrl}/not-a-channel`, toast);
    assert.deepEqual([result.outcome, result.reason], ['rejected', 'BadRequest']);
  });

  it('reports 401 when an authenticated channel is sent to over HTTP', async () => {
    const uri = channel({ authenticated: true }).replace(f.simulator.httpsUrl!, f.simulator.httpUrl!);
    const result = await f.sender().send(uri, toast);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'Unauthorized']);
  });

  it('reports 403 when the certificate is not the channel\'s Service Name', async () => {
    const uri = channel({ authenticated: true });
    f.simulator.setSubscription(new URL(uri).pathname.split('/').pop()!, { state: 'active', serviceName: 'another-service' });
    const result = await f.sender().send(uri, toast);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'Forbidden']);
  });
});

describe('MPNS sender, local checks and requests', () => {
  it('sends a random UUID X-MessageID and returns it', async () => {
    const result = await f.sender().send(channel(), toast);
    assert.match(result.messageId, UUID);
    assert.equal(f.simulator.notifications.at(-1)!.messageId, result.messageId);
  });

  it('sends the class of the chosen delivery interval', async () => {
    await f.sender().send(channel(), { type: 'tile', title: 'x' }, { interval: 900 });
    assert.deepEqual([f.simulator.notifications.at(-1)!.kind, f.simulator.notifications.at(-1)!.notificationClass], ['tile', 21]);
  });

  it('delivers a Windows Phone 8 tile whose elements arrive as written', async () => {
    await f.sender().send(channel({ authenticated: true }), { type: 'tile', template: 'CycleTile', cycleImage1: '/a.jpg', count: 7, title: null });
    const recorded = f.simulator.notifications.at(-1)!;
    assert.deepEqual([recorded.template, recorded.elements, recorded.warnings], ['CycleTile', { CycleImage1: '/a.jpg', Count: '7', Title: null }, []]);
  });

  it('delivers raw bytes unchanged', async () => {
    await f.sender().send(channel({ authenticated: true }), { type: 'raw', data: new Uint8Array([0, 255, 60]) });
    assert.equal(f.simulator.notifications.at(-1)!.body, Buffer.from([0, 255, 60]).toString('base64'));
  });

  it('refuses a channel URI off the allow list without connecting', async () => {
    const result = await f.sender().send('http://[::1]:9/latest/meta-data/', toast);
    assert.deepEqual([result.outcome, result.reason, result.code], ['rejected', 'ChannelUriRefused', 'MPNS_CHANNEL_URI_HOST']);
  });

  it('refuses a payload over 3 KB without connecting', async () => {
    const requests = f.simulator.stats.requests;
    const result = await f.sender().send(channel(), { type: 'raw', data: new Uint8Array(MAX_PAYLOAD_BYTES + 1) });
    assert.deepEqual([result.outcome, result.reason, result.code], ['rejected', 'InvalidPayload', 'MPNS_PAYLOAD_TOO_LARGE']);
    assert.equal(f.simulator.stats.requests, requests);
  });

  it('does not send a notification whose deadline has passed', async () => {
    const result = await f.sender().send(channel(), toast, { expiresAt: new Date(Date.now() - 1000) });
    assert.deepEqual([result.outcome, result.reason], ['expired', 'Expired']);
  });

  it('gives up on a service that does not answer, as a retry', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const sender = new MpnsSender({ allowHosts: [`127.0.0.1:${port}`], timeoutMs: 200 });
      const result = await sender.send(`http://127.0.0.1:${port}/throttledthirdparty/01.00/x`, toast);
      sender.close();
      assert.deepEqual([result.outcome, result.reason], ['retry', 'Timeout']);
    } finally {
      silent.close();
    }
  });

  it('retries when the service cannot be reached', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const sender = new MpnsSender({ allowHosts: [`127.0.0.1:${port}`] });
    const result = await sender.send(`http://127.0.0.1:${port}/throttledthirdparty/01.00/x`, toast);
    sender.close();
    assert.deepEqual([result.outcome, result.reason], ['retry', 'ConnectionFailed']);
  });
});
