import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { createSignerClient } from '../../src/signer/client.ts';
import { writeTestPki } from '../../src/simulators/test-pki.ts';
import { customerCsr } from '../signer/signer-fixture.ts';
import { runCli } from '../fixtures/cli.ts';
import { tempDir, testPki } from '../fixtures/pki.ts';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'certpush.js');
const TOKEN = 'cli-test-token-0123456789abcdef';

interface Serving {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Start `certpush signer serve …args` and wait for the URL it prints on stdout. */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Serving> {
  const child = spawn(process.execPath, [BIN, 'signer', 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`signer serve exited with ${code} before printing its URL:\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function stop(serving: Serving, signal: NodeJS.Signals): Promise<number | null> {
  if (serving.child.exitCode !== null) return serving.child.exitCode;
  const exited = once(serving.child, 'exit') as Promise<[number | null]>;
  serving.child.kill(signal);
  return (await exited)[0];
}

describe('certpush signer serve', () => {
  let dir: string;
  let pki: string;
  const running: Serving[] = [];
  const at = (name: string) => path.join(pki, name);
  const identityArgs = () => ['--vendor-cert', at('vendor.pem'), '--vendor-key', at('vendor.key'), '--intermediate', at('wwdr.pem'), '--root', at('apple-root.pem')];

  before(async () => {
    dir = tempDir();
    pki = path.join(dir, 'pki');
    writeTestPki(pki, await testPki());
    fs.writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  });
  after(async () => {
    for (const s of running) await stop(s, 'SIGKILL');
  });

  it('prints the real URL for --port 0, signs for the client, and exits 0 on SIGTERM', async () => {
    const serving = await serve([...identityArgs(), '--token-file', path.join(dir, 'token'), '--port', '0']);
    running.push(serving);
    assert.match(serving.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(serving.url).port, '0');
    const signed = await createSignerClient({ url: serving.url, token: TOKEN }).sign(await customerCsr());
    const report = await verifyPushCertRequest(signed.request, { root: parseCertificate(fs.readFileSync(at('apple-root.pem'))) });
    assert.equal(report.valid, true, JSON.stringify(report.findings));
    assert.equal(await stop(serving, 'SIGTERM'), 0);
    assert.match(serving.stderr(), /POST \/v1\/sign 200/);
    assert.ok(!serving.stderr().includes(TOKEN));
  });

  it('serves HTTPS with --tls-cert/--tls-key, takes the token from CERTPUSH_SIGNER_TOKEN, and exits 0 on SIGINT', async () => {
    const serving = await serve([...identityArgs(), '--port', '0', '--tls-cert', at('server.pem'), '--tls-key', at('server.key')], { CERTPUSH_SIGNER_TOKEN: TOKEN });
    running.push(serving);
    assert.match(serving.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await createSignerClient({ url: serving.url, token: TOKEN, ca: fs.readFileSync(at('server-ca.pem'), 'utf8') }).vendorCertificate();
    assert.ok(status.daysLeft > 300);
    assert.equal(await stop(serving, 'SIGINT'), 0);
  });

  it('refuses to start when the chain is broken, and says which certificate (exit 2: the identity was read and found wanting)', async () => {
    const r = await runCli(['signer', 'serve', '--vendor-cert', at('vendor.pem'), '--vendor-key', at('vendor.key'), '--intermediate', at('push-ca.pem'), '--root', at('apple-root.pem'), '--port', '0'], { env: { CERTPUSH_SIGNER_TOKEN: TOKEN } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /The signer cannot start.*\n.*chain is broken after the vendor MDM signing certificate/);
    assert.equal(r.stdout, '');
  });

  it('without --intermediate and --root, refuses to start with a vendor certificate no Apple WWDR CA issued (exit 2)', async () => {
    const r = await runCli(['signer', 'serve', '--vendor-cert', at('vendor.pem'), '--vendor-key', at('vendor.key'), '--port', '0'], { env: { CERTPUSH_SIGNER_TOKEN: TOKEN } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /none of Apple's WWDR CAs \(G2–G6\) built into certpush.*--intermediate and --root/);
    assert.equal(r.stdout, '');
  });

  it('refuses to start without a token', async () => {
    const r = await runCli(['signer', 'serve', ...identityArgs(), '--port', '0'], { env: { CERTPUSH_SIGNER_TOKEN: '' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /needs a token: give --token-file or set CERTPUSH_SIGNER_TOKEN/);
  });

  it('refuses a port that is not a number', async () => {
    const r = await runCli(['signer', 'serve', ...identityArgs(), '--port', 'http'], { env: { CERTPUSH_SIGNER_TOKEN: TOKEN } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--port http is not a port number/);
  });
});
