import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { type InspectedItem, inspectFile } from '../../src/pki/inspect.ts';
import { parsePrivateKey, privateKeyToPem } from '../../src/pki/key.ts';
import type { TestPki } from '../../src/simulators/test-pki.ts';
import { rejectsCode } from '../fixtures/certpush-error.ts';
import { opensslPkcs12, opensslRsaKey, opensslToDer } from '../fixtures/openssl-pki.ts';
import { openssl, tempDir, testPki, writeFiles } from '../fixtures/pki.ts';

const dir = tempDir();
const PASSWORD = 'inspect pass';
let pki: TestPki;
let files: Record<string, string>;
let csrPath: string;
let csrKeyPath: string;

const kinds = (items: InspectedItem[]) => items.map((i) => i.kind);

function only<K extends InspectedItem['kind']>(items: InspectedItem[], kind: K): Extract<InspectedItem, { kind: K }> {
  const found = items.filter((i): i is Extract<InspectedItem, { kind: K }> => i.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind} item, got ${kinds(items).join(', ')}`);
  return found[0]!;
}

/** Pieces of a private key that must never show up in output: its DER in Base64, PEM lines and JWK secrets. */
function secretsOf(keyPem: string): string[] {
  const key = parsePrivateKey(keyPem);
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  const pkcs1 = key.export({ format: 'der', type: 'pkcs1' });
  const jwk = key.export({ format: 'jwk' });
  const pemLines = [privateKeyToPem(key), keyPem].flatMap((p) => p.split('\n')).filter((l) => l.length === 64);
  const hexOf = (b64url: string | undefined) => Buffer.from(b64url ?? '', 'base64url').toString('hex');
  return [
    pkcs8.toString('base64'), pkcs1.toString('base64'), pkcs8.toString('hex'), ...pemLines,
    jwk.d!, jwk.p!, jwk.q!, hexOf(jwk.d), hexOf(jwk.p), hexOf(jwk.q),
  ].map((s) => s.slice(0, 48));
}

function assertNoSecrets(items: InspectedItem[], keyPem: string): void {
  const json = JSON.stringify(items);
  for (const secret of secretsOf(keyPem)) assert.equal(json.includes(secret), false, `output contains key material ${secret}`);
}

before(async () => {
  pki = await testPki();
  files = writeFiles(dir, { 'vendor.pem': pki.vendor.cert, 'vendor.key': pki.vendor.key });
  csrKeyPath = opensslRsaKey(dir, 'csr.key');
  csrPath = path.join(dir, 'req.csr');
  openssl(['req', '-new', '-key', csrKeyPath, '-subj', '/CN=inspect me/O=Customer', '-out', csrPath]);
});

describe('inspectFile', () => {
  it('reports a certificate and its key in one PEM file, and that they match', async () => {
    const items = await inspectFile(Buffer.from(pki.vendor.cert + pki.vendor.key));
    assert.deepEqual(kinds(items), ['certificate', 'private-key']);
    const cert = only(items, 'certificate');
    assert.equal(cert.matchesKey, true);
    assert.equal(cert.certificate.fingerprintSha256, parseCertificate(pki.vendor.cert).fingerprintSha256);
    assert.deepEqual(only(items, 'private-key'), { kind: 'private-key', type: 'rsa', bits: 2048, curve: null, encrypted: false });
  });

  it('reports a certificate bundled with a key that is not its own as not matching', async () => {
    const items = await inspectFile(Buffer.from(pki.vendor.cert + pki.wwdr.key));
    assert.equal(only(items, 'certificate').matchesKey, false);
  });

  it('leaves matchesKey out when the file holds no key', async () => {
    const items = await inspectFile(Buffer.from(pki.vendor.cert + pki.wwdr.cert));
    assert.deepEqual(kinds(items), ['certificate', 'certificate']);
    assert.equal('matchesKey' in items[0]!, false);
  });

  it('reports a CSR made by openssl, with its subject, key size and a valid signature', async () => {
    const items = await inspectFile(fs.readFileSync(csrPath));
    assert.deepEqual(only(items, 'csr'), {
      kind: 'csr', subject: 'CN=inspect me, O=Customer', commonName: 'inspect me',
      publicKey: { type: 'rsa', bits: 2048 }, signatureAlgorithm: 'RSASSA-PKCS1-v1_5/SHA-256', signatureValid: true,
    });
  });

  it('reports whether a CSR matches the key in the same file', async () => {
    const items = await inspectFile(Buffer.concat([fs.readFileSync(csrPath), fs.readFileSync(csrKeyPath)]));
    assert.equal(only(items, 'csr').matchesKey, true);
  });

  it('reads DER certificates, CSRs and keys', async () => {
    assert.deepEqual(kinds(await inspectFile(opensslToDer('x509', files['vendor.pem']!))), ['certificate']);
    assert.deepEqual(kinds(await inspectFile(opensslToDer('req', csrPath))), ['csr']);
    assert.deepEqual(kinds(await inspectFile(opensslToDer('pkcs8', csrKeyPath, ['-topk8', '-nocrypt']))), ['private-key']);
  });

  it('reports an encrypted key without a password as encrypted, with no details', async () => {
    const encrypted = privateKeyToPem(parsePrivateKey(pki.vendor.key), PASSWORD);
    const item = only(await inspectFile(Buffer.from(encrypted)), 'private-key');
    assert.equal(item.encrypted, true);
    assert.equal(item.bits, null);
  });

  it('opens an encrypted key with the password', async () => {
    const encrypted = privateKeyToPem(parsePrivateKey(pki.vendor.key), PASSWORD);
    const item = only(await inspectFile(Buffer.from(encrypted), { password: PASSWORD }), 'private-key');
    assert.equal(item.bits, 2048);
  });

  it('asks for the password of a PKCS#12 file with P12_PASSWORD_REQUIRED', async () => {
    const p12 = opensslPkcs12(dir, 'nopw.p12', { certPath: files['vendor.pem']!, keyPath: files['vendor.key']!, password: PASSWORD });
    await rejectsCode(() => inspectFile(p12), 'P12_PASSWORD_REQUIRED');
  });

  it('opens a PKCS#12 file with its password and reports that the key matches', async () => {
    const p12 = opensslPkcs12(dir, 'pw.p12', { certPath: files['vendor.pem']!, keyPath: files['vendor.key']!, password: PASSWORD, legacy: true });
    const items = await inspectFile(p12, { password: PASSWORD });
    assert.deepEqual(kinds(items), ['certificate', 'private-key']);
    assert.equal(only(items, 'certificate').matchesKey, true);
  });

  it('passes on a wrong PKCS#12 password as P12_WRONG_PASSWORD', async () => {
    const p12 = opensslPkcs12(dir, 'wrongpw.p12', { certPath: files['vendor.pem']!, keyPath: files['vendor.key']!, password: PASSWORD });
    await rejectsCode(() => inspectFile(p12, { password: 'wrong' }), 'P12_WRONG_PASSWORD');
  });

  it('reports random bytes as FILE_UNRECOGNIZED', async () => {
    await rejectsCode(() => inspectFile(crypto.randomBytes(256)), 'FILE_UNRECOGNIZED');
  });

  it('reports plain text as FILE_UNRECOGNIZED', async () => {
    await rejectsCode(() => inspectFile(Buffer.from('hello, this is not a certificate\n')), 'FILE_UNRECOGNIZED');
  });

  it('reports an unsupported PEM block as PEM_WRONG_TYPE', async () => {
    const pub = openssl(['pkey', '-in', csrKeyPath, '-pubout']);
    await rejectsCode(() => inspectFile(Buffer.from(pub)), 'PEM_WRONG_TYPE');
  });

  it('judges validity at the given time', async () => {
    const cert = parseCertificate(pki.vendor.cert);
    const now = new Date(cert.notAfter.getTime() + 86_400_000 * 2);
    const item = only(await inspectFile(Buffer.from(pki.vendor.cert), { now }), 'certificate');
    assert.equal(item.certificate.validity, 'expired');
    assert.equal(item.certificate.daysLeft, -2);
  });

  it('never includes key material from a PEM file with a key', async () => {
    const items = await inspectFile(Buffer.from(pki.vendor.cert + pki.vendor.key));
    assertNoSecrets(items, pki.vendor.key);
  });

  it('never includes key material from a PKCS#12 file', async () => {
    const p12 = opensslPkcs12(dir, 'secret.p12', { certPath: files['vendor.pem']!, keyPath: files['vendor.key']!, password: PASSWORD });
    assertNoSecrets(await inspectFile(p12, { password: PASSWORD }), pki.vendor.key);
  });

  it('never includes key material from a DER key', async () => {
    const der = opensslToDer('rsa', csrKeyPath, ['-traditional']);
    assertNoSecrets(await inspectFile(der), fs.readFileSync(csrKeyPath, 'utf8'));
  });
});

describe('inspectFile, less common inputs', () => {
  it('reads TRUSTED CERTIFICATE blocks as openssl -trustout writes them', async () => {
    const dir = tempDir();
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-subj', '/CN=trusted', '-days', '1']);
    const trusted = openssl(['x509', '-in', path.join(dir, 'c.pem'), '-trustout', '-addtrust', 'clientAuth']);
    const items = await inspectFile(Buffer.from(trusted));
    assert.equal(items.length, 1);
    assert.equal(items[0]!.kind === 'certificate' && items[0]!.certificate.commonName, 'trusted');
  });

  it('asks for the password of an encrypted DER key instead of calling it unrecognised', async () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const der = privateKey.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' });
    await rejectsCode(() => inspectFile(der), 'KEY_PASSPHRASE_REQUIRED');
    assert.equal((await inspectFile(der, { password: 'pw' }))[0]!.kind, 'private-key');
  });
});
