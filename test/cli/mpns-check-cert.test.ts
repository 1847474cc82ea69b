import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { issueTestCertificate, type TestPki, writeTestPki } from '../../src/simulators/test-pki.ts';
import { runCertpush } from '../mpns/cli-runner.ts';
import { toPkcs12 } from '../mpns/pkcs12-fixture.ts';
import { testPki } from '../mpns/simulator-fixture.ts';

let pki: TestPki;
let dir: string;
const file = (name: string) => path.join(dir, name);

before(async () => {
  pki = await testPki();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-check-cert-'));
  writeTestPki(dir, pki);
  fs.writeFileSync(file('client.p12'), toPkcs12(pki.mpnsClient, 'p12 secret'));
  fs.writeFileSync(file('p12-password'), 'p12 secret\n');
  fs.writeFileSync(file('client-with-key.pem'), pki.mpnsClient.cert + pki.mpnsClient.key);
  const serverOnly = await issueTestCertificate(pki.mpnsRoot, { commonName: 'svc', extendedKeyUsage: ['serverAuth'] });
  fs.writeFileSync(file('server-only.pem'), serverOnly.cert);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('certpush mpns check-cert', { concurrency: 4 }, () => {
  it('passes the test client certificate, printing its Service Name and how the app uses it', async () => {
    const run = await runCertpush(['mpns', 'check-cert', file('mpns-client.pem'), '--roots', file('mpns-root.pem')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Service Name: +certpush-test-service/);
    assert.match(run.stdout, /new HttpNotificationChannel\(channelName, "certpush-test-service"\)/);
    assert.match(run.stdout, /\d+ days left/);
    assert.match(run.stdout, /^PASS: /m);
  });

  it('prints the report as JSON with --json', async () => {
    const run = await runCertpush(['mpns', 'check-cert', file('mpns-client.pem'), '--roots', file('mpns-root.pem'), '--json']);
    const report = JSON.parse(run.stdout) as { passed: boolean; serviceName: string; daysLeft: number; findings: unknown[] };
    assert.deepEqual([report.passed, report.serviceName, report.findings], [true, 'certpush-test-service', []]);
    assert.ok(report.daysLeft > 300);
  });

  it('reads a PKCS#12 bundle with --password-file', async () => {
    const run = await runCertpush(['mpns', 'check-cert', file('client.p12'), '--password-file', file('p12-password'), '--roots', file('mpns-root.pem')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  it('asks for the password of a PKCS#12 bundle', async () => {
    const run = await runCertpush(['mpns', 'check-cert', file('client.p12'), '--roots', file('mpns-root.pem')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--password-file.*\[P12_PASSWORD_REQUIRED\]/);
  });

  it('reads a PEM file holding the certificate and its key', async () => {
    const run = await runCertpush(['mpns', 'check-cert', file('client-with-key.pem'), '--roots', file('mpns-root.pem')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  it('fails, exit 2, a certificate without client authentication', async () => {
    const run = await runCertpush(['mpns', 'check-cert', file('server-only.pem'), '--roots', file('mpns-root.pem')]);
    assert.equal(run.code, 2);
    assert.match(run.stdout, /error \[MPNS_NO_CLIENT_AUTH\]/);
    assert.match(run.stdout, /^FAIL: /m);
  });

  it('fails a certificate that does not chain to the given roots', async () => {
    const run = await runCertpush(['mpns', 'check-cert', file('server.pem'), '--roots', file('mpns-root.pem')]);
    assert.equal(run.code, 2);
    assert.match(run.stdout, /\[MPNS_ROOT_NOT_ALLOWED\]/);
  });

  it('fails a key that does not belong to the certificate', async () => {
    const run = await runCertpush(['mpns', 'check-cert', file('mpns-client.pem'), '--key', file('server.key'), '--roots', file('mpns-root.pem')]);
    assert.equal(run.code, 2);
    assert.match(run.stdout, /\[KEY_MISMATCH\]/);
  });

  it('without --roots, checks against Node\'s roots and says that is an approximation', async () => {
    const run = await runCertpush(['mpns', 'check-cert', file('mpns-client.pem')]);
    assert.equal(run.code, 2);
    assert.match(run.stdout, /warning \[MPNS_ROOTS_APPROXIMATE\]/);
  });
});
