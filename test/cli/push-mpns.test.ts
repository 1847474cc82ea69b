import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTestPki } from '../../src/simulators/test-pki.ts';
import { runCertpush } from '../mpns/cli-runner.ts';
import { toPkcs12 } from '../mpns/pkcs12-fixture.ts';
import { type SimulatorFixture, startSimulatorFixture } from '../mpns/simulator-fixture.ts';

let f: SimulatorFixture;
let dir: string;
let n = 0;
const file = (name: string) => path.join(dir, name);
const channel = (prefix = '', authenticated = false) => f.simulator.channelUri(`${prefix}cli-${++n}`, { authenticated });
const allow = () => f.allowHosts.flatMap((h) => ['--allow-host', h]);
const credential = () => ['--cert', file('mpns-client.pem'), '--key', file('mpns-client.key'), '--ca', file('server-ca.pem')];

before(async () => {
  f = await startSimulatorFixture();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-push-mpns-'));
  writeTestPki(dir, f.pki);
  fs.writeFileSync(file('client.p12'), toPkcs12(f.pki.mpnsClient, 'p12 secret'));
  fs.writeFileSync(file('p12-password'), 'p12 secret\n');
  fs.writeFileSync(file('flip.json'), JSON.stringify({ template: 'FlipTile', title: 'Inbox', count: 3, backContent: null }));
  fs.writeFileSync(file('raw.bin'), Buffer.from([0, 1, 2, 254]));
});
after(async () => {
  await f.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('certpush push mpns', { concurrency: 4 }, () => {
  it('delivers an unauthenticated toast and exits 0', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel(), ...allow(), '--toast-text1', 'Hello', '--toast-text2', "it's <here>"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^delivered: /);
    assert.match(run.stdout, /quota: +1 of 500 today/);
  });

  it('delivers an authenticated toast with --cert/--key, in the chosen class, as JSON', async () => {
    const uri = channel('', true);
    const run = await runCertpush(['push', 'mpns', '--channel', uri, ...allow(), ...credential(), '--toast-text1', 'Hi', '--class', '450', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { outcome: string; messageId: string; channel: string };
    assert.deepEqual([result.outcome, result.channel], ['delivered', uri]);
    const recorded = f.simulator.notifications.find((r) => r.messageId === result.messageId)!;
    assert.deepEqual([recorded.authenticated, recorded.notificationClass], [true, 12]);
  });

  it('delivers with the client certificate from --p12 and --password-file', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel('', true), ...allow(), '--p12', file('client.p12'), '--password-file', file('p12-password'), '--ca', file('server-ca.pem'), '--toast-text1', 'Hi']);
    assert.equal(run.code, 0, run.stderr);
  });

  it('still delivers with the old spelling --pfx, a hidden alias of --p12', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel('', true), ...allow(), '--pfx', file('client.p12'), '--password-file', file('p12-password'), '--ca', file('server-ca.pem'), '--toast-text1', 'Hi']);
    assert.equal(run.code, 0, run.stderr);
  });

  it('sends a tile described in --tile-json', async () => {
    const uri = channel();
    const run = await runCertpush(['push', 'mpns', '--channel', uri, ...allow(), '--tile-json', file('flip.json'), '--json']);
    assert.equal(run.code, 0, run.stderr);
    const recorded = f.simulator.notifications.find((r) => r.messageId === (JSON.parse(run.stdout) as { messageId: string }).messageId)!;
    assert.deepEqual([recorded.template, recorded.elements], ['FlipTile', { Count: '3', Title: 'Inbox', BackContent: null }]);
  });

  it('sends the bytes of --raw as a raw notification', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel(), ...allow(), '--raw', file('raw.bin'), '--json']);
    assert.equal(run.code, 0, run.stderr);
    const recorded = f.simulator.notifications.find((r) => r.messageId === (JSON.parse(run.stdout) as { messageId: string }).messageId)!;
    assert.deepEqual([recorded.kind, recorded.body], ['raw', Buffer.from([0, 1, 2, 254]).toString('base64')]);
  });

  it('exits 2 and says to delete the channel when the subscription expired', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel('expired-'), ...allow(), '--toast-text1', 'x']);
    assert.equal(run.code, 2);
    assert.match(run.stdout, /^invalid: .*Delete this channel URI/);
  });

  it('exits 2 with a credential outcome for an https channel without a certificate', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel('', true), ...allow(), '--ca', file('server-ca.pem'), '--toast-text1', 'x']);
    assert.equal(run.code, 2);
    assert.match(run.stdout, /^credential: /);
  });

  it('refuses a channel URI that is not allow-listed, before connecting', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', 'http://[::1]:9/latest/meta-data/', '--toast-text1', 'x']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /not on the allow list \(\*\.notify\.live\.net\).*\[MPNS_CHANNEL_URI_HOST\]/);
  });

  it('refuses the simulator unless it is allowed with --allow-host', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel(), '--toast-text1', 'x']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--allow-host 127\.0\.0\.1:\d+/);
  });

  it('refuses more than one kind of notification', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel(), ...allow(), '--toast-text1', 'x', '--raw', file('raw.bin')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\[CLI_MPNS_PAYLOAD\]/);
  });

  it('refuses a toast over 3 KB, naming the limit', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel(), ...allow(), '--toast-text1', 'x'.repeat(3100)]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /3072 bytes \(3 KB\).*\[MPNS_PAYLOAD_TOO_LARGE\]/);
  });

  it('refuses --cert without --key', async () => {
    const run = await runCertpush(['push', 'mpns', '--channel', channel('', true), ...allow(), '--cert', file('mpns-client.pem'), '--toast-text1', 'x']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--cert needs --key/);
  });
});
