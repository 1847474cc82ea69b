// The client against the simulator over real TLS on loopback: every outcome class.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ApnsClient } from '../../src/apns/client.ts';
import { isCertpushError } from '../../src/errors.ts';
import { generateRsaKey, privateKeyToPem } from '../../src/pki/key.ts';

import { issueMdmPushCertificate, issueTestCertificate } from '../../src/simulators/test-pki.ts';
import { testPki } from '../fixtures/pki.ts';
import { brief, certClient, detailOf, deviceToken, pushIdentity, reasonOf, simulator } from './fixtures.ts';
import { TRANSPORT_NAMES } from '../../src/apns/transport/transport.ts';

// Every test runs over both transports: certpush's wire and node:http2.
for (const transport of TRANSPORT_NAMES) describe(`over ${transport}`, () => {
  test('an MDM push is accepted and arrives as {"mdm": pushMagic} to the certificate\'s topic', async () => {
    const { sim } = await simulator();
    const client = await certClient(sim, { transport });
    const { topic } = await pushIdentity();
    const token = deviceToken(1);
    const outcome = await client.sendMdm(token, 'MAGIC-1');
    assert.equal(outcome.class, 'accepted');
    const [delivery, ...rest] = sim.log.forToken(token);
    assert.equal(rest.length, 0);
    assert.equal(outcome.class === 'accepted' && outcome.apnsId, delivery!.apnsId);
    assert.equal(delivery!.payload, '{"mdm":"MAGIC-1"}');
    assert.equal(delivery!.pushType, 'mdm');
    assert.equal(delivery!.topic, topic);
  });

  test('priority, expiration, collapse id and apns-id reach APNs as request headers', async () => {
    const { sim } = await simulator();
    const client = await certClient(sim, { transport });
    const token = deviceToken(5);
    const id = '123E4567-E89B-12D3-A456-426614174000';
    const outcome = await client.send({ token, payload: '{"mdm":"m"}', pushType: 'mdm', priority: 5, expiration: 1893456000, collapseId: 'weekly-digest', id });
    assert.equal(outcome.class, 'accepted');
    const [delivery] = sim.log.forToken(token);
    assert.equal(delivery!.apnsId.toLowerCase(), id.toLowerCase());
    assert.equal(delivery!.priority, '5');
    assert.equal(delivery!.expiration, '1893456000');
    assert.equal(delivery!.collapseId, 'weekly-digest');
  });

  test('the client\'s topic defaults to the push certificate\'s UID', async () => {
    const { sim } = await simulator();
    const client = await certClient(sim, { transport });
    assert.equal(client.topic, (await pushIdentity()).topic);
    assert.equal(client.auth, 'certificate');
  });

  test('an unregistered token is invalid, with the time APNs gives', async () => {
    const { sim } = await simulator();
    const token = deviceToken(2);
    const since = new Date('2025-01-02T03:04:05.678Z');
    sim.setDevice(token, 'unregistered', since);
    const outcome = await (await certClient(sim, { transport })).sendMdm(token, 'm');
    assert.equal(outcome.class, 'invalid');
    assert.equal(outcome.status, 410);
    assert.equal(outcome.class === 'invalid' && outcome.reason, 'Unregistered');
    assert.deepEqual(outcome.class === 'invalid' && outcome.timestamp, since);
    assert.equal(sim.log.forToken(token).length, 0);
  });

  test('expired, bad and not-for-topic tokens are invalid with their reasons', async () => {
    const { sim } = await simulator();
    const client = await certClient(sim, { transport });
    const cases = [['expired', 410, 'ExpiredToken'], ['bad', 400, 'BadDeviceToken'], ['not-for-topic', 400, 'DeviceTokenNotForTopic']] as const;
    for (const [i, [state, status, reason]] of cases.entries()) {
      const token = deviceToken(10 + i);
      sim.setDevice(token, state);
      const outcome = await client.sendMdm(token, 'm');
      assert.deepEqual(brief(outcome), ['invalid', status, reason]);
    }
  });

  test('a topic other than the certificate\'s is rejected: TopicDisallowed', async () => {
    const { sim } = await simulator();
    const outcome = await (await certClient(sim, { transport })).send({ token: deviceToken(3), payload: '{}', topic: 'com.example.other' });
    assert.deepEqual(brief(outcome), ['rejected', 400, 'TopicDisallowed']);
  });

  test('a local check failure is an outcome with status 0 and is never sent', async () => {
    const { sim } = await simulator();
    const client = await certClient(sim, { transport });
    const outcome = await client.send({ token: deviceToken(4), payload: JSON.stringify({ x: 'y'.repeat(5000) }) });
    assert.deepEqual(brief(outcome), ['rejected', 0, 'PayloadTooLarge']);
    assert.equal(sim.stats().streams, 0);
  });

  test('a certificate from a CA the server does not trust is a credential problem: BadCertificate', async () => {
    const { sim, pki } = await simulator();
    const stranger = await issueTestCertificate(pki.mpnsRoot, { commonName: 'not an APNs client', extendedKeyUsage: ['clientAuth'] });
    const client = new ApnsClient({ transport, endpoint: sim.url, ca: pki.serverCa.cert, certificate: stranger, topic: 'com.example.app' });
    const outcome = await client.send({ token: deviceToken(5), payload: '{}' });
    await client.close();
    assert.deepEqual(brief(outcome), ['credential', 403, 'BadCertificate']);
  });

  test('a production-only certificate on a development server is BadCertificateEnvironment', async () => {
    const { sim, pki } = await simulator({ environment: 'development' });
    const key = generateRsaKey();
    const { cert } = await issueMdmPushCertificate(pki, { publicKey: crypto.createPublicKey(key), environments: ['production'] });
    const client = new ApnsClient({ transport, endpoint: sim.url, ca: pki.serverCa.cert, certificate: { cert: cert + pki.pushCa.cert, key: privateKeyToPem(key) } });
    const outcome = await client.sendMdm(deviceToken(6), 'm');
    await client.close();
    assert.deepEqual(brief(outcome), ['credential', 403, 'BadCertificateEnvironment']);
  });

  test('429, 500 and 503 are retry outcomes with a backoff delay, matching what the server answered', async () => {
    const { sim } = await simulator({ faults: { tooManyRequests: 0.1, internalServerError: 0.1, serviceUnavailable: 0.1, seed: 42 } });
    const client = await certClient(sim, { transport, backoff: { baseMs: 100, maxMs: 10_000 } });
    const outcomes = await Promise.all(Array.from({ length: 300 }, (_, i) => client.sendMdm(deviceToken(1000 + i), 'm')));
    const byReason: Record<string, number> = {};
    for (const o of outcomes) {
      if (o.class === 'accepted') continue;
      assert.equal(o.class, 'retry');
      assert.ok(o.retryAfterMs !== undefined && o.retryAfterMs >= 50 && o.retryAfterMs <= 10_000, `retryAfterMs ${o.retryAfterMs}`);
      byReason[o.reason] = (byReason[o.reason] ?? 0) + 1;
    }
    const stats = sim.stats();
    assert.deepEqual(byReason, stats.rejected);
    assert.ok((byReason.TooManyRequests ?? 0) > 0 && (byReason.InternalServerError ?? 0) > 0 && (byReason.ServiceUnavailable ?? 0) > 0);
    assert.equal(outcomes.filter((o) => o.class === 'accepted').length, stats.accepted);
    assert.equal(sim.log.count, stats.accepted);
  });

  test('the caller\'s attempt count sets the retry delay', async () => {
    const { sim } = await simulator({ faults: { serviceUnavailable: 1 } });
    const client = await certClient(sim, { transport, backoff: { baseMs: 1000, maxMs: 600_000 }, random: () => 0 });
    const outcome = await client.send({ token: deviceToken(7), payload: '{}' }, { attempt: 5 });
    assert.equal(outcome.class !== 'accepted' && outcome.retryAfterMs, 16_000);
  });

  test('a closed port is a retry outcome, ConnectionFailed', async () => {
    const { sim, pki } = await simulator();
    const url = sim.url;
    await sim.close();
    const id = await pushIdentity();
    const client = new ApnsClient({ transport, endpoint: url, ca: pki.serverCa.cert, certificate: id });
    const outcome = await client.sendMdm(deviceToken(8), 'm');
    await client.close();
    assert.deepEqual(brief(outcome), ['retry', 0, 'ConnectionFailed']);
  });

  test('a server the client does not trust is not talked to: ConnectionFailed, telling to pass the CA', async () => {
    const { sim } = await simulator();
    const id = await pushIdentity();
    const client = new ApnsClient({ transport, endpoint: sim.url, certificate: id });
    const outcome = await client.sendMdm(deviceToken(9), 'm');
    await client.close();
    assert.equal(reasonOf(outcome), 'ConnectionFailed');
    assert.match(detailOf(outcome), /not trusted.*--ca/);
    assert.equal(sim.stats().streams, 0);
  });

  test('with a small queue, writable turns false and ready() resolves when there is room', async () => {
    const { sim } = await simulator({ faults: { slowResponseMs: 50 } });
    const client = await certClient(sim, { transport, maxQueued: 5, maxConcurrentStreams: 2 });
    const sends = Array.from({ length: 20 }, (_, i) => client.sendMdm(deviceToken(2000 + i), 'm'));
    assert.equal(client.writable, false);
    await client.ready();
    assert.equal(client.writable, true);
    const outcomes = await Promise.all(sends);
    assert.ok(outcomes.every((o) => o.class === 'accepted'));
  });

  test('sendAll sends everything with bounded queueing and counts outcomes per class', async () => {
    const { sim } = await simulator();
    sim.setDevice(deviceToken(3000), 'unregistered');
    const client = await certClient(sim, { transport, maxQueued: 10 });
    const seen: string[] = [];
    const summary = await client.sendAll(Array.from({ length: 200 }, (_, i) => ({ token: deviceToken(3000 + i), payload: '{"mdm":"m"}', pushType: 'mdm' as const })), (o) => seen.push(o.class));
    assert.deepEqual(summary, { total: 200, accepted: 199, invalid: 1, rejected: 0, credential: 0, retry: 0 });
    assert.equal(seen.length, 200);
    assert.equal(sim.log.count, 199);
  });

  test('when the sendAll callback throws, sending stops, what was sent is waited for, and sendAll rejects with the error', async () => {
    const { sim } = await simulator();
    const client = await certClient(sim, { transport, maxQueued: 5, maxConcurrentStreams: 5 });
    let taken = 0;
    function* notifications() {
      for (let i = 0; i < 1000; i++) {
        taken++;
        yield { token: deviceToken(6000 + i), payload: '{"mdm":"m"}', pushType: 'mdm' as const };
      }
    }
    await assert.rejects(client.sendAll(notifications(), () => { throw new Error('record failed'); }), /record failed/);
    assert.ok(taken < 1000, `took ${taken} of 1000 after the callback threw`);
    assert.equal(client.stats().inFlight + client.stats().queued, 0);
    await client.close();
  });

  test('the client keeps nothing of a notification once its outcome is delivered', async () => {
    const { sim } = await simulator();
    const client = await certClient(sim, { transport, maxQueued: 50, maxConcurrentStreams: 20 });
    const sent: Array<WeakRef<object>> = [];
    function* notifications() {
      for (let i = 0; i < 500; i++) {
        const notification = { token: deviceToken(7000 + i), payload: `{"mdm":"m${i}"}`, pushType: 'mdm' as const };
        sent.push(new WeakRef(notification));
        yield notification;
      }
    }
    const summary = await client.sendAll(notifications());
    assert.equal(summary.accepted, 500);
    await new Promise((resolve) => setImmediate(resolve));
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
    const kept = sent.filter((ref) => ref.deref() !== undefined).length;
    assert.equal(kept, 0, `${kept} of 500 notifications are still reachable from the client`);
    await client.close();
  });

  test('close() lets queued notifications finish; sending afterwards throws', async () => {
    const { sim } = await simulator();
    const client = await certClient(sim, { transport });
    const pending = Array.from({ length: 50 }, (_, i) => client.sendMdm(deviceToken(4000 + i), 'm'));
    await client.close();
    assert.ok((await Promise.all(pending)).every((o) => o.class === 'accepted'));
    assert.throws(() => client.sendMdm(deviceToken(1), 'm'), (e) => isCertpushError(e, 'APNS_CLIENT_CLOSED'));
  });

  test('a client needs exactly one credential', async () => {
    assert.throws(() => new ApnsClient({ transport }), (e) => isCertpushError(e, 'APNS_CREDENTIAL'));
  });

  test('MDM pushes need a certificate: sendMdm on a token-auth client throws', async () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const client = new ApnsClient({ transport, token: { key: privateKey, keyId: 'ABC123DEFG', teamId: 'TEAM123456' }, endpoint: 'https://127.0.0.1:1' });
    assert.throws(() => client.sendMdm(deviceToken(1), 'm'), (e) => isCertpushError(e, 'APNS_MDM_NEEDS_CERTIFICATE'));
    await client.close();
  });

  test('a PKCS#12 push certificate works like PEM', async () => {
    const { sim } = await simulator();
    const pki = await testPki();
    const id = await pushIdentity();
    const { default: forge } = await import('node-forge');
    const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(id.key), [forge.pki.certificateFromPem(id.cert)], 'secret', { algorithm: '3des' });
    const der = Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
    const client = new ApnsClient({ transport, endpoint: sim.url, ca: pki.serverCa.cert, certificate: { pkcs12: der, password: 'secret' } });
    const outcome = await client.sendMdm(deviceToken(5000), 'm');
    await client.close();
    assert.equal(outcome.class, 'accepted');
  });
});

test('an unknown transport is refused with the names that work', () => {
  assert.throws(() => new ApnsClient({ transport: 'curl' as never, endpoint: 'https://127.0.0.1:1', token: { key: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, keyId: 'ABC123DEFG', teamId: 'TEAM123456' } }),
    (e) => isCertpushError(e, 'APNS_OPTION') && /transport must be 'certpush' or 'node'/.test((e as Error).message));
});
