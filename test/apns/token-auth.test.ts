// Token auth (.p8 ES256 JWT) end to end against the simulator, with one injected clock.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { ApnsClient, type ApnsClientOptions } from '../../src/apns/client.ts';
import { atEnd } from '../fixtures/pki.ts';
import { brief, deviceToken, simulator } from './fixtures.ts';
import { TRANSPORT_NAMES } from '../../src/apns/transport/transport.ts';

// Every test runs over both transports: certpush's wire and node:http2.
for (const transport of TRANSPORT_NAMES) describe(`over ${transport}`, () => {
  const MIN = 60_000;
  const TOPIC = 'com.example.app';

  function key() {
    return crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  }

  async function setup(options: { environments?: Array<'development' | 'production'>; register?: boolean } = {}, clientOptions: Partial<ApnsClientOptions> = {}) {
    const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
    const { privateKey, publicKey } = key();
    const { sim, pki } = await simulator({
      tokenKeys: options.register === false ? [] : [{ keyId: 'KEY1234567', teamId: 'TEAM123456', publicKey, topics: [TOPIC], environments: options.environments }],
      now: () => clock.t,
    });
    const client = new ApnsClient({ transport, endpoint: sim.url, ca: pki.serverCa.cert, token: { key: privateKey, keyId: 'KEY1234567', teamId: 'TEAM123456' }, topic: TOPIC, now: () => clock.t, ...clientOptions });
    atEnd(() => client.close());
    return { clock, sim, client };
  }

  test('a notification with a valid provider token is accepted', async () => {
    const { sim, client } = await setup();
    const outcome = await client.send({ token: deviceToken(1), payload: { aps: { alert: 'hi' } } });
    assert.equal(outcome.class, 'accepted');
    assert.equal(sim.log.entries()[0]!.topic, TOPIC);
  });

  test('a token for a key the server does not know is InvalidProviderToken', async () => {
    const { client } = await setup({ register: false });
    assert.deepEqual(brief(await client.send({ token: deviceToken(2), payload: '{}' })), ['credential', 403, 'InvalidProviderToken']);
  });

  test('a topic the team may not push to is TopicDisallowed', async () => {
    const { client } = await setup();
    assert.deepEqual(brief(await client.send({ token: deviceToken(3), payload: '{}', topic: 'com.other.app' })), ['rejected', 400, 'TopicDisallowed']);
  });

  test('a key for the other environment is BadEnvironmentKeyIdInToken', async () => {
    const { client } = await setup({ environments: ['development'] });
    assert.deepEqual(brief(await client.send({ token: deviceToken(4), payload: '{}' })), ['credential', 403, 'BadEnvironmentKeyIdInToken']);
  });

  test('ExpiredProviderToken makes a new token and sends once more, which is accepted', async () => {
    const { clock, sim, client } = await setup();
    assert.equal((await client.send({ token: deviceToken(5), payload: '{}' })).class, 'accepted');
    clock.t += 25 * MIN;
    sim.expireProviderTokens();
    const outcome = await client.send({ token: deviceToken(6), payload: '{}' });
    assert.equal(outcome.class, 'accepted');
    assert.equal(sim.stats().rejected.ExpiredProviderToken, 1);
    assert.equal(client.stats().resent, 1);
    assert.equal(sim.log.count, 2);
  });

  test('ExpiredProviderToken for a token younger than 20 minutes is not retried: credential', async () => {
    const { clock, sim, client } = await setup();
    assert.equal((await client.send({ token: deviceToken(7), payload: '{}' })).class, 'accepted');
    clock.t += 5 * MIN;
    sim.expireProviderTokens();
    assert.deepEqual(brief(await client.send({ token: deviceToken(8), payload: '{}' })), ['credential', 403, 'ExpiredProviderToken']);
    assert.equal(client.stats().resent, 0);
  });

  test('the client renews its token after 50 minutes on its own, and the server takes it', async () => {
    const { clock, sim, client } = await setup();
    assert.equal((await client.send({ token: deviceToken(9), payload: '{}' })).class, 'accepted');
    clock.t += 55 * MIN;
    assert.equal((await client.send({ token: deviceToken(10), payload: '{}' })).class, 'accepted');
    assert.equal(sim.stats().rejected.TooManyProviderTokenUpdates, undefined);
    assert.equal(sim.log.count, 2);
  });
});
