// `certpush simulate apns`: runs until a signal, prints its URL, takes pushes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { ApnsClient } from '../../src/apns/client.ts';
import { generateRsaKey, privateKeyToPem } from '../../src/pki/key.ts';
import { issueMdmPushCertificate, readTestPki } from '../../src/simulators/test-pki.ts';
import { runCli } from '../fixtures/cli.ts';
import { tempDir } from '../fixtures/pki.ts';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'certpush.js');

test('simulate apns --pki prints its URL, takes MDM pushes from the PKI\'s push certificates, and stops on SIGTERM', async () => {
  const dir = tempDir();
  assert.equal((await runCli(['simulate', 'pki', '--out', dir])).code, 0);
  const pki = readTestPki(dir);
  const token = 'ab'.repeat(32);
  const child = spawn(process.execPath, [BIN, 'simulate', 'apns', '--port', '0', '--pki', dir, '--device', `${'cd'.repeat(32)}=unregistered`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('\n')) resolve(out.split('\n')[0]!); });
    child.on('exit', (code) => reject(new Error(`simulator exited with ${code}: ${stderr}`)));
  });
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const key = generateRsaKey();
  const { cert } = await issueMdmPushCertificate(pki, { publicKey: crypto.createPublicKey(key) });
  const client = new ApnsClient({ endpoint: url, ca: pki.serverCa.cert, certificate: { cert: cert + pki.pushCa.cert, key: privateKeyToPem(key) } });
  assert.equal((await client.sendMdm(token, 'M')).class, 'accepted');
  assert.equal((await client.sendMdm('cd'.repeat(32), 'M')).class, 'invalid');
  await client.close();
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exit, 0);
  assert.match(stderr, /stopped: 1 accepted, 1 rejected/);
});

test('simulate apns without a TLS identity explains the options', async () => {
  const r = await runCli(['simulate', 'apns', '--port', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--pki DIR.*--tls-cert FILE --tls-key FILE/);
});

test('simulate apns refuses a --device token copied from an example ("abab…ab") instead of ignoring it', async () => {
  const dir = tempDir();
  assert.equal((await runCli(['simulate', 'pki', '--out', dir])).code, 0);
  const result = await runCli(['simulate', 'apns', '--port', '0', '--pki', dir, '--device', 'abab…ab=unregistered']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /"abab…ab" is not a device token\. Write the whole token in hex .*\[CLI_APNS_DEVICE\]/);
});
