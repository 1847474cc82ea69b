import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { openssl, tempDir } from '../fixtures/pki.ts';

// One walk through the vendor's workflow with the real binary, as a user would type it.
describe('certpush CLI: the MDM push-certificate workflow', () => {
  const dir = tempDir();
  const pki = path.join(dir, 'pki');
  const at = (name: string) => path.join(dir, name);

  it('simulate pki writes a test PKI directory', async () => {
    const r = await runCli(['simulate', 'pki', '--out', pki]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['apple-root.pem', 'wwdr.pem', 'vendor.pem', 'vendor.key', 'push-ca.pem', 'server.pem', 'mpns-client.pem', 'README.txt']) {
      assert.ok(fs.existsSync(path.join(pki, f)), f);
    }
    assert.equal(fs.statSync(path.join(pki, 'vendor.key')).mode & 0o777, 0o600);
  });

  it('mdm vendor-sign signs an openssl CSR and writes the Base64 request', async () => {
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('customer.key'), '-out', at('customer.csr'), '-subj', '/CN=Customer/O=Acme/C=US']);
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('customer.csr'), '--vendor-cert', `${pki}/vendor.pem`, '--vendor-key', `${pki}/vendor.key`, '--intermediate', `${pki}/wwdr.pem`, '--root', `${pki}/apple-root.pem`, '--out', at('request.b64')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Signed the CSR for "CN=Customer, O=Acme, C=US"/);
    assert.match(fs.readFileSync(at('request.b64'), 'utf8'), /^[A-Za-z0-9+/]+=*\n$/);
  });

  it('mdm vendor-sign with only --csr, --vendor-cert and --vendor-key refuses a vendor certificate Apple did not issue (exit 2)', async () => {
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('customer.csr'), '--vendor-cert', `${pki}/vendor.pem`, '--vendor-key', `${pki}/vendor.key`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /was issued by "CN=certpush test Apple Worldwide Developer Relations Certification Authority.*none of Apple's WWDR CAs \(G2–G6\) built into certpush/);
    assert.match(r.stderr, /pass its intermediate and root with --intermediate and --root/);
    assert.equal(r.stdout, '');
  });

  it('mdm verify-request without --root checks against Apple\'s built-in roots and finds a test PKI request invalid', async () => {
    const r = await runCli(['mdm', 'verify-request', at('request.b64'), '--json']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok((JSON.parse(r.stdout) as { findings: Array<{ code: string }> }).findings.some((f) => f.code === 'CHAIN_UNTRUSTED_ROOT'));
  });

  it('mdm vendor-sign accepts the vendor identity as a PKCS#12 made by openssl', async () => {
    fs.writeFileSync(at('p12pass'), 'vendor-secret\n');
    openssl(['pkcs12', '-export', '-in', `${pki}/vendor.pem`, '-inkey', `${pki}/vendor.key`, '-out', at('vendor.p12'), '-passout', 'pass:vendor-secret']);
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('customer.csr'), '--p12', at('vendor.p12'), '--password-file', at('p12pass'), '--intermediate', `${pki}/wwdr.pem`, '--root', `${pki}/apple-root.pem`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { request: string; vendorCertificate: { daysLeft: number } };
    assert.ok(out.request.length > 1000);
    assert.ok(out.vendorCertificate.daysLeft > 300);
  });

  it('mdm verify-request exits 0 for a valid request and lists the chain', async () => {
    const r = await runCli(['mdm', 'verify-request', at('request.b64'), '--root', `${pki}/apple-root.pem`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /chain 3: CN=certpush test Apple Root CA/);
    assert.match(r.stdout, /^valid:/m);
  });

  it('mdm verify-request exits 2 and names the problem for a request against another root', async () => {
    const r = await runCli(['mdm', 'verify-request', at('request.b64'), '--root', `${pki}/server-ca.pem`, '--json']);
    assert.equal(r.code, 2);
    const out = JSON.parse(r.stdout) as { valid: boolean; findings: Array<{ code: string }> };
    assert.equal(out.valid, false);
    assert.ok(out.findings.some((f) => f.code === 'CHAIN_UNTRUSTED_ROOT'), JSON.stringify(out.findings));
  });

  it('simulate apple-portal issues the push certificate, and cert inspect shows its topic', async () => {
    const r = await runCli(['simulate', 'apple-portal', '--pki', pki, '--request', at('request.b64'), '--out', at('push.pem')]);
    assert.equal(r.code, 0, r.stderr);
    const topic = r.stdout.trim();
    assert.match(topic, /^com\.apple\.mgmt\.External\.[0-9a-f-]{36}$/);
    const inspect = await runCli(['cert', 'inspect', at('push.pem'), '--json']);
    assert.equal(inspect.code, 0, inspect.stderr);
    const [item] = JSON.parse(inspect.stdout) as Array<{ kind: string; certificate: { uid: string; apnsEnvironments: string[] } }>;
    assert.equal(item?.certificate.uid, topic);
    assert.deepEqual(item?.certificate.apnsEnvironments, ['production']);
  });

  it('simulate apple-portal --renew keeps the topic', async () => {
    const first = (await runCli(['cert', 'inspect', at('push.pem'), '--json'])).stdout;
    const r = await runCli(['simulate', 'apple-portal', '--pki', pki, '--request', at('request.b64'), '--out', at('push-renewed.pem'), '--renew', at('push.pem')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), (JSON.parse(first) as Array<{ certificate: { uid: string } }>)[0]?.certificate.uid);
  });

  it('cert inspect names the Apple CA a real MDM push certificate chains to', async () => {
    const r = await runCli(['cert', 'inspect', path.resolve(import.meta.dirname, '../fixtures/apple/example-mdm-push-cert-2021.pem')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /chains to\s+Apple Application Integration 2 Certification Authority → Apple Root CA \(Apple\)/);
  });

  it('cert inspect recognises Apple\'s own WWDR G3 certificate', async () => {
    const r = await runCli(['cert', 'inspect', path.resolve(import.meta.dirname, '../../src/mdm/apple-cas/AppleWWDRCAG3.pem')]);
    assert.match(r.stdout, /chains to\s+Apple Worldwide Developer Relations Certification Authority itself \(an Apple CA built into certpush\)/);
  });

  it('cert inspect says a test PKI push certificate chains to no Apple CA', async () => {
    const r = await runCli(['cert', 'inspect', at('push.pem')]);
    assert.match(r.stdout, /chains to\s+no Apple CA/);
  });

  it('cert inspect says whether a key file matches the certificate next to it', async () => {
    fs.writeFileSync(at('both.pem'), fs.readFileSync(at('push.pem'), 'utf8') + fs.readFileSync(at('customer.key'), 'utf8'));
    const r = await runCli(['cert', 'inspect', at('both.pem')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /matches key\s+yes/);
    assert.match(r.stdout, /Private key \(contents not shown\)/);
    assert.doesNotMatch(r.stdout, /BEGIN/);
  });

  it('a wrong PKCS#12 password is a one-line error on stderr naming the file, exit 1', async () => {
    fs.writeFileSync(at('wrongpass'), 'nope\n');
    const r = await runCli(['cert', 'inspect', at('vendor.p12'), '--password-file', at('wrongpass')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^certpush: \S*vendor\.p12: the PKCS#12 file could not be opened: the password is wrong\..*\[P12_WRONG_PASSWORD\]\n$/);
    assert.equal(r.stdout, '');
  });

  it('a missing file names the option and the path', async () => {
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('nope.csr'), '--vendor-cert', `${pki}/vendor.pem`, '--vendor-key', `${pki}/vendor.key`, '--intermediate', `${pki}/wwdr.pem`, '--root', `${pki}/apple-root.pem`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^certpush: --csr \S*nope\.csr: the file does not exist\. Check the path\. \[FILE_NOT_FOUND\]\n$/);
  });

  it('a truncated CSR is refused with a message that says how to fix it', async () => {
    fs.writeFileSync(at('truncated.csr'), fs.readFileSync(at('customer.csr'), 'utf8').slice(0, 300));
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('truncated.csr'), '--vendor-cert', `${pki}/vendor.pem`, '--vendor-key', `${pki}/vendor.key`, '--intermediate', `${pki}/wwdr.pem`, '--root', `${pki}/apple-root.pem`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cut off.*Copy the whole block.*\[PEM_TRUNCATED\]/);
  });

  it('a certificate given where the key belongs is refused as the wrong block type', async () => {
    const r = await runCli(['mdm', 'vendor-sign', '--csr', at('customer.csr'), '--vendor-cert', `${pki}/vendor.pem`, '--vendor-key', `${pki}/vendor.pem`, '--intermediate', `${pki}/wwdr.pem`, '--root', `${pki}/apple-root.pem`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--vendor-key \S*vendor\.pem: expected a private key .* but found: CERTIFICATE.*\[PEM_WRONG_TYPE\]/);
  });

  it('--help lists the command groups', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const group of ['cert', 'mdm', 'simulate', 'push', 'mpns']) assert.match(r.stdout, new RegExp(`^  ${group}\\b`, 'm'));
  });
});
