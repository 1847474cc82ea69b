// `certpush push apns` against the simulator, through the real binary.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { deviceToken, pushIdentity, simulator } from '../apns/fixtures.ts';
import { runCli } from '../fixtures/cli.ts';
import { tempDir, writeFiles } from '../fixtures/pki.ts';

async function files() {
  const { sim, pki } = await simulator();
  const id = await pushIdentity();
  const paths = writeFiles(tempDir(), { 'push.pem': id.cert, 'push.key': id.key, 'ca.pem': pki.serverCa.cert });
  return { sim, id, paths, cert: ['--cert', paths['push.pem']!, '--key', paths['push.key']!, '--ca', paths['ca.pem']!, '--endpoint', sim.url] };
}

test('push apns --push-magic sends an MDM push to each token and prints one line per token', async () => {
  const { sim, cert } = await files();
  const [a, b] = [deviceToken(1), deviceToken(2)];
  const r = await runCli(['push', 'apns', '--token', a, '--token', b, '--push-magic', 'MAGIC', ...cert]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, new RegExp(`^${a}  accepted  apns-id [0-9a-f-]{36}$`));
  assert.match(lines[1]!, new RegExp(`^${b}  accepted`));
  assert.equal(sim.log.forToken(a)[0]!.payload, '{"mdm":"MAGIC"}');
  assert.equal(sim.log.forToken(a)[0]!.pushType, 'mdm');
});

test('push apns exits 2 when a token was not accepted, and says why', async () => {
  const { sim, cert } = await files();
  sim.setDevice(deviceToken(3), 'unregistered', new Date('2025-05-05T00:00:00Z'));
  const r = await runCli(['push', 'apns', '--token', deviceToken(3), '--token', deviceToken(4), '--token', 'nothex', '--push-magic', 'M', ...cert]);
  assert.equal(r.code, 2);
  const [gone, ok, bad] = r.stdout.trim().split('\n');
  assert.match(gone!, /invalid {2}410 Unregistered {2}since 2025-05-05T00:00:00.000Z/);
  assert.match(ok!, /accepted/);
  assert.match(bad!, /^nothex {2}invalid {2}BadDeviceToken/);
});

test('push apns --json prints one JSON object per token', async () => {
  const { cert } = await files();
  const r = await runCli(['push', 'apns', '--token', deviceToken(5), '--payload', '{"aps":{"content-available":1}}', '--push-type', 'background', '--priority', '5', '--json', ...cert, '--topic', (await pushIdentity()).topic]);
  assert.equal(r.code, 0, r.stderr);
  const line = JSON.parse(r.stdout) as { token: string; class: string; status: number; apnsId: string };
  assert.deepEqual([line.token, line.class, line.status], [deviceToken(5), 'accepted', 200]);
});

test('push apns with --p8 uses token auth', async () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { sim, pki } = await simulator({ tokenKeys: [{ keyId: 'KEY1234567', teamId: 'TEAM123456', publicKey }] });
  const paths = writeFiles(tempDir(), { 'AuthKey_KEY1234567.p8': privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 'ca.pem': pki.serverCa.cert });
  const r = await runCli(['push', 'apns', '--token', deviceToken(6), '--p8', paths['AuthKey_KEY1234567.p8']!, '--key-id', 'KEY1234567', '--team-id', 'TEAM123456',
    '--topic', 'com.example.app', '--payload', '{"aps":{"alert":"hi"}}', '--endpoint', sim.url, '--ca', paths['ca.pem']!]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(sim.log.forToken(deviceToken(6))[0]!.topic, 'com.example.app');
});

test('push apns without a credential, or with two, explains what to give', async () => {
  const none = await runCli(['push', 'apns', '--token', deviceToken(7), '--push-magic', 'M']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /exactly one credential.*--cert FILE --key FILE/);
  const { cert } = await files();
  const both = await runCli(['push', 'apns', '--token', deviceToken(7), '--push-magic', 'M', '--payload', '{}', ...cert]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /exactly one of --push-magic/);
});

test('push apns without --ca does not trust the simulator, and says to pass --ca', async () => {
  const { sim, paths } = await files();
  const r = await runCli(['push', 'apns', '--token', deviceToken(8), '--push-magic', 'M', '--cert', paths['push.pem']!, '--key', paths['push.key']!, '--endpoint', sim.url]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /retry {2}ConnectionFailed.*not trusted.*--ca/);
  assert.equal(sim.stats().streams, 0);
});
