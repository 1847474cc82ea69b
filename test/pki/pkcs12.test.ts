import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { keyMatchesSpki } from '../../src/pki/key.ts';
import { looksLikePkcs12, readPkcs12 } from '../../src/pki/pkcs12.ts';
import type { TestPki } from '../../src/simulators/test-pki.ts';
import { throwsCode } from '../fixtures/certpush-error.ts';
import { opensslPkcs12, opensslToDer } from '../fixtures/openssl-pki.ts';
import { openssl, opensslStatus, tempDir, testPki, writeFiles } from '../fixtures/pki.ts';

const dir = tempDir();
const PASSWORD = 'p12 pass';
let pki: TestPki;
let files: Record<string, string>;
let vendorFingerprint: string;
let defaultP12: Buffer;
let legacyP12: Buffer;
let chainP12: Buffer;

/** What `openssl pkcs12 -info` says about how a file is encrypted. */
function opensslInfo(name: string, bytes: Buffer, legacy: boolean): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  const r = opensslStatus(['pkcs12', '-info', '-noout', '-in', file, '-passin', `pass:${PASSWORD}`, ...(legacy ? ['-legacy'] : [])]);
  return r.stdout + r.stderr;
}

before(async () => {
  pki = await testPki();
  files = writeFiles(dir, {
    'vendor.pem': pki.vendor.cert,
    'vendor.key': pki.vendor.key,
    'chain.pem': pki.wwdr.cert + pki.appleRoot.cert,
  });
  vendorFingerprint = parseCertificate(pki.vendor.cert).fingerprintSha256;
  const identity = { certPath: files['vendor.pem']!, keyPath: files['vendor.key']!, password: PASSWORD };
  defaultP12 = opensslPkcs12(dir, 'default.p12', identity);
  legacyP12 = opensslPkcs12(dir, 'legacy.p12', { ...identity, legacy: true });
  chainP12 = opensslPkcs12(dir, 'chain.p12', { ...identity, certfile: files['chain.pem']! });
});

describe('readPkcs12', () => {
  it('opens the default openssl export (PBES2, PBKDF2, AES-256-CBC) with the certificate and its key', () => {
    assert.match(opensslInfo('check-default.p12', defaultP12, false), /PBES2, PBKDF2, AES-256-CBC/);
    const { certificates, privateKey } = readPkcs12(defaultP12, PASSWORD);
    assert.deepEqual(certificates.map((c) => c.fingerprintSha256), [vendorFingerprint]);
    assert.ok(privateKey);
    assert.equal(keyMatchesSpki(privateKey, certificates[0]!.publicKey.spki), true);
  });

  it('opens the -legacy openssl export (RC2-40, 3DES, SHA-1 MAC) with the certificate and its key', () => {
    assert.match(opensslInfo('check-legacy.p12', legacyP12, true), /pbeWithSHA1And40BitRC2-CBC/);
    const { certificates, privateKey } = readPkcs12(legacyP12, PASSWORD);
    assert.deepEqual(certificates.map((c) => c.fingerprintSha256), [vendorFingerprint]);
    assert.ok(privateKey);
    assert.equal(keyMatchesSpki(privateKey, certificates[0]!.publicKey.spki), true);
  });

  it('yields every certificate of a file exported with -certfile', () => {
    const { certificates } = readPkcs12(chainP12, PASSWORD);
    const expected = [pki.vendor.cert, pki.wwdr.cert, pki.appleRoot.cert].map((p) => parseCertificate(p).fingerprintSha256);
    assert.deepEqual(certificates.map((c) => c.fingerprintSha256).sort(), expected.sort());
  });

  it('opens a file with an empty password, in both forms', () => {
    for (const legacy of [false, true]) {
      const p12 = opensslPkcs12(dir, `empty-${legacy}.p12`, { certPath: files['vendor.pem']!, keyPath: files['vendor.key']!, password: '', legacy });
      assert.equal(readPkcs12(p12, '').certificates.length, 1);
    }
  });

  it('opens a file holding an EC key', () => {
    const keyPath = path.join(dir, 'ec.key');
    const certPath = path.join(dir, 'ec.pem');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPath]);
    openssl(['req', '-x509', '-key', keyPath, '-subj', '/CN=ec p12', '-days', '1', '-out', certPath]);
    const { certificates, privateKey } = readPkcs12(opensslPkcs12(dir, 'ec.p12', { certPath, keyPath, password: PASSWORD }), PASSWORD);
    assert.equal(privateKey?.asymmetricKeyType, 'ec');
    assert.equal(keyMatchesSpki(privateKey, certificates[0]!.publicKey.spki), true);
  });

  it('returns no key for a file exported with -nokeys', () => {
    const p12 = opensslPkcs12(dir, 'nokeys.p12', { certPath: files['vendor.pem']!, password: PASSWORD });
    const { certificates, privateKey } = readPkcs12(p12, PASSWORD);
    assert.equal(certificates.length, 1);
    assert.equal(privateKey, null);
  });

  it('reports a wrong password for the default form as P12_WRONG_PASSWORD', () => {
    throwsCode(() => readPkcs12(defaultP12, 'wrong'), 'P12_WRONG_PASSWORD');
  });

  it('reports a wrong password for the -legacy form as P12_WRONG_PASSWORD', () => {
    throwsCode(() => readPkcs12(legacyP12, 'wrong'), 'P12_WRONG_PASSWORD');
  });

  it('reports random bytes as P12_UNPARSABLE', () => {
    throwsCode(() => readPkcs12(crypto.randomBytes(1000), PASSWORD), 'P12_UNPARSABLE');
  });

  it('reports a DER certificate as P12_UNPARSABLE', () => {
    throwsCode(() => readPkcs12(opensslToDer('x509', files['vendor.pem']!), PASSWORD), 'P12_UNPARSABLE');
  });

  it('reports a file cut in half as P12_UNPARSABLE', () => {
    throwsCode(() => readPkcs12(defaultP12.subarray(0, defaultP12.length >> 1), PASSWORD), 'P12_UNPARSABLE');
  });
});

describe('looksLikePkcs12', () => {
  it('recognises both openssl forms', () => {
    assert.equal(looksLikePkcs12(defaultP12), true);
    assert.equal(looksLikePkcs12(legacyP12), true);
  });

  it('does not take a DER certificate, a PEM file or random bytes for PKCS#12', () => {
    assert.equal(looksLikePkcs12(opensslToDer('x509', files['vendor.pem']!)), false);
    assert.equal(looksLikePkcs12(Buffer.from(pki.vendor.cert)), false);
    assert.equal(looksLikePkcs12(Buffer.from([0x30, 0x03, 0x02, 0x01])), false);
  });
});
