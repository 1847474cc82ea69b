import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseCsr } from '../../src/pki/csr.ts';
import { openStore } from '../../src/store/store.ts';
import { signPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { loadIdentity } from '../../src/pki/identity.ts';
import { issuePushCertificate } from '../../src/simulators/apple-portal.ts';
import { backends } from '../fixtures/backends.ts';
import { runCli } from '../fixtures/cli.ts';
import { openssl, tempDir, testPki } from '../fixtures/pki.ts';
import { startWorld } from '../fixtures/service.ts';

async function vendorSign(csrPem: string): Promise<string> {
  const pki = await testPki();
  return (await signPushCertRequest({ csr: csrPem, vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }), intermediate: parseCertificate(pki.wwdr.cert), root: parseCertificate(pki.appleRoot.cert) })).request;
}

describe('certpush mdm csr / import-cert / status (customer side)', () => {
  it('work on the local data directory without a server', async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir });
    const tenant = await store.tenants.create('Local Co');
    await store.close();
    const dir = tempDir();
    const csr = await runCli(['mdm', 'csr', '--tenant', tenant.id, '--data-dir', dataDir, '--org', 'Local Co', '--country', 'DE', '--out', path.join(dir, 'c.csr')]);
    assert.equal(csr.code, 0, csr.stderr);
    const parsed = parseCsr(fs.readFileSync(path.join(dir, 'c.csr')));
    assert.equal(parsed.publicKey.bits, 2048);
    assert.match(parsed.subject.text, /O=Local Co, C=DE/);

    const apple = await issuePushCertificate(await testPki(), await vendorSign(fs.readFileSync(path.join(dir, 'c.csr'), 'utf8')));
    fs.writeFileSync(path.join(dir, 'push.pem'), apple.cert);
    const imported = await runCli(['mdm', 'import-cert', '--tenant', tenant.id, '--data-dir', dataDir, path.join(dir, 'push.pem'), '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).topic, apple.topic);
    const status = await runCli(['mdm', 'status', '--tenant', tenant.id, '--data-dir', dataDir]);
    assert.match(status.stdout, /state:\s+active/);
  });

  it('talk to a running service with an API key, and report its errors plainly', async () => {
    const [sqlite] = await backends();
    const world = await startWorld(sqlite!);
    const tenant = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'Remote Co' })).body;
    const key = (await world.api(world.operatorKey, 'POST', `/v1/tenants/${tenant.id}/api-keys`, {})).body.key as string;
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'key'), `${key}\n`);
    const remote = ['--tenant', tenant.id, '--server', world.url, '--api-key-file', path.join(dir, 'key')];
    const csr = await runCli(['mdm', 'csr', ...remote]);
    assert.equal(csr.code, 0, csr.stderr);
    const apple = await issuePushCertificate(world.pki, await vendorSign(csr.stdout));
    fs.writeFileSync(path.join(dir, 'push.pem'), apple.cert);
    const imported = await runCli(['mdm', 'import-cert', ...remote, path.join(dir, 'push.pem')]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, new RegExp(`topic:\\s+${apple.topic.replace(/\./g, '\\.')}`));

    fs.writeFileSync(path.join(dir, 'garbage.pem'), 'hello');
    const bad = await runCli(['mdm', 'import-cert', ...remote, path.join(dir, 'garbage.pem')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^certpush: .*\[[A-Z_]+\]\n$/s);
    // A certificate for someone else's CSR is read, checked and refused: exit 2, as locally.
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'other.key'), '-out', path.join(dir, 'other.csr'), '-subj', '/CN=Other']);
    fs.writeFileSync(path.join(dir, 'other-push.pem'), (await issuePushCertificate(world.pki, await vendorSign(fs.readFileSync(path.join(dir, 'other.csr'), 'utf8')))).cert);
    const refused = await runCli(['mdm', 'import-cert', ...remote, path.join(dir, 'other-push.pem')]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /\[PUSH_CERT_REFUSED\]\n$/);
    const other = await runCli(['mdm', 'status', '--tenant', 'ten_someoneelse', '--server', world.url, '--api-key-file', path.join(dir, 'key')]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /not found.*\[NOT_FOUND\]/);
  });

  it('import-cert on the local data directory: a refused certificate exits 2, an unreadable file exits 1, both naming the file', async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir });
    const tenant = await store.tenants.create('Local Co');
    await store.close();
    const dir = tempDir();
    const local = ['--tenant', tenant.id, '--data-dir', dataDir];
    assert.equal((await runCli(['mdm', 'csr', ...local, '--out', path.join(dir, 'c.csr')])).code, 0);
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'other.key'), '-out', path.join(dir, 'other.csr'), '-subj', '/CN=Other']);
    fs.writeFileSync(path.join(dir, 'other-push.pem'), (await issuePushCertificate(await testPki(), await vendorSign(fs.readFileSync(path.join(dir, 'other.csr'), 'utf8')))).cert);
    const refused = await runCli(['mdm', 'import-cert', ...local, path.join(dir, 'other-push.pem')]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^certpush: \S+other-push\.pem: the push certificate was not imported:\n.*\[PUSH_CERT_REFUSED\]\n$/s);
    fs.writeFileSync(path.join(dir, 'empty.pem'), '');
    const empty = await runCli(['mdm', 'import-cert', ...local, path.join(dir, 'empty.pem')]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^certpush: \S+empty\.pem: the file is empty .*\[FILE_EMPTY\]\n$/);
  });
});
