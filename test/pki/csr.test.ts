import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { createCsr, type Csr, csrToPem, parseCsr, verifyCsrSignature } from '../../src/pki/csr.ts';
import { generateRsaKey, parsePrivateKey, spkiOf } from '../../src/pki/key.ts';
import { toPem } from '../../src/pki/pem.ts';
import { rejectsCode, throwsCode } from '../fixtures/certpush-error.ts';
import { opensslRsaKey, opensslSpki, opensslToDer } from '../fixtures/openssl-pki.ts';
import { openssl, opensslStatus, tempDir } from '../fixtures/pki.ts';

const dir = tempDir();
const key = generateRsaKey();
const SUBJECT = { CN: 'certpush CSR test', O: 'Example Schools', C: 'DE', emailAddress: 'mdm-admin@example.com' };
let ours: Csr;
let oursPath: string;
let opensslKeyPath: string;
let opensslCsrPath: string;
let opensslCsrPem: string;

function writeCsr(name: string, der: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, toPem('CERTIFICATE REQUEST', der));
  return file;
}

/**
 * What `openssl req -verify` says of a CSR file: 'OK' or 'failure'. (OpenSSL 3.0 exits 0 even
 * on failure, so the printed verdict is what counts.)
 */
function opensslVerdict(file: string): string {
  const result = opensslStatus(['req', '-in', file, '-noout', '-verify']);
  return /verify OK/.test(result.stdout + result.stderr) ? 'OK' : /verify failure/.test(result.stdout + result.stderr) ? 'failure' : `unknown: ${result.stderr}`;
}

/** A copy of `der` with the byte at `index` changed. */
function flipByte(der: Buffer, index: number): Buffer {
  const copy = Buffer.from(der);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

before(async () => {
  ours = await createCsr(key, SUBJECT);
  oursPath = writeCsr('ours.csr', ours.der);
  opensslKeyPath = opensslRsaKey(dir, 'openssl.key');
  opensslCsrPath = path.join(dir, 'openssl.csr');
  openssl(['req', '-new', '-key', opensslKeyPath, '-subj', '/CN=Customer MDM/O=Customer Inc/C=US', '-out', opensslCsrPath]);
  opensslCsrPem = fs.readFileSync(opensslCsrPath, 'utf8');
});

describe('createCsr', () => {
  it('makes a CSR whose self-signature openssl req -verify accepts', () => {
    assert.equal(opensslVerdict(oursPath), 'OK');
  });

  it('writes the subject CN, O, C and emailAddress in that order, as openssl shows it', () => {
    const shown = openssl(['req', '-in', oursPath, '-noout', '-subject', '-nameopt', 'sep_comma_plus_space']).trim();
    assert.equal(shown, 'subject=CN=certpush CSR test, O=Example Schools, C=DE, emailAddress=mdm-admin@example.com');
    assert.equal(ours.subject.text, 'CN=certpush CSR test, O=Example Schools, C=DE, emailAddress=mdm-admin@example.com');
  });

  it('signs with SHA-256 and RSA, as openssl reports', () => {
    assert.equal(ours.signatureAlgorithm, 'RSASSA-PKCS1-v1_5/SHA-256');
    assert.match(openssl(['req', '-in', oursPath, '-noout', '-text']), /Signature Algorithm: sha256WithRSAEncryption/);
  });

  it('holds the public key of the private key it was made with', () => {
    assert.deepEqual(ours.publicKey.spki, spkiOf(key));
    assert.equal(ours.publicKey.bits, 2048);
    assert.equal(ours.commonName, SUBJECT.CN);
  });

  it('leaves out fields that are not given', async () => {
    const csr = await createCsr(key, { CN: 'only a name' });
    assert.equal(csr.subject.text, 'CN=only a name');
  });

  it('verifies its own signature', async () => {
    assert.equal(await verifyCsrSignature(ours), true);
  });

  for (const country of ['USA', 'us', 'U', '12']) {
    it(`rejects the country "${country}" with CSR_SUBJECT`, async () => {
      await rejectsCode(() => createCsr(key, { CN: 'x', C: country }), 'CSR_SUBJECT');
    });
  }

  it('rejects a subject without a common name with CSR_SUBJECT', async () => {
    await rejectsCode(() => createCsr(key, { CN: '' }), 'CSR_SUBJECT');
  });

  it('rejects an email address outside ASCII with CSR_SUBJECT (an IA5String cannot hold it)', async () => {
    await rejectsCode(() => createCsr(key, { CN: 'x', emailAddress: 'jürgen@example.com' }), 'CSR_SUBJECT');
  });

  it('writes the bytes @peculiar/x509 writes for the same key and subject, string types included', async () => {
    // RSA PKCS#1 v1.5 signatures are deterministic, so the whole request can be compared.
    const { x509, RSA_SHA256 } = await import('../../src/pki/x509.ts');
    for (const subject of [SUBJECT, { CN: 'Zürich ☃', O: 'Ünïcode', OU: 'IT' }, { CN: 'x'.repeat(200) }]) {
      const theirs = await x509.Pkcs10CertificateRequestGenerator.create({
        name: Object.entries(subject).map(([field, value]) => ({ [{ CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6', emailAddress: '1.2.840.113549.1.9.1' }[field]!]: [value] })),
        keys: { privateKey: key.toCryptoKey(RSA_SHA256, false, ['sign']), publicKey: crypto.createPublicKey(key).toCryptoKey(RSA_SHA256, true, ['verify']) } as never,
        signingAlgorithm: RSA_SHA256,
      });
      assert.equal((await createCsr(key, subject)).der.toString('hex'), Buffer.from(theirs.rawData).toString('hex'));
    }
  });

  it('writes a value with quotes, backslashes or a leading # as given, and openssl verifies it', async () => {
    const csr = await createCsr(key, { CN: '#1 "MDM" \\ Acme', O: 'a+b, c' });
    assert.equal(csr.commonName, '#1 "MDM" \\ Acme');
    assert.equal(opensslVerdict(writeCsr('literal.csr', csr.der)), 'OK');
    const shown = openssl(['req', '-in', path.join(dir, 'literal.csr'), '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space']).trim();
    assert.equal(shown, String.raw`subject=CN=#1 "MDM" \ Acme, O=a+b, c`);
  });

  it('is made with the key\'s length, for a 4096-bit key too (DER lengths of two bytes)', async () => {
    const big = generateRsaKey(4096);
    const csr = await createCsr(big, { CN: 'big' });
    assert.equal(csr.publicKey.bits, 4096);
    assert.equal(opensslVerdict(writeCsr('big.csr', csr.der)), 'OK');
  });
});

describe('parseCsr', () => {
  it('reads a PEM CSR made by openssl req -new', () => {
    const csr = parseCsr(opensslCsrPem);
    assert.equal(csr.subject.text, 'CN=Customer MDM, O=Customer Inc, C=US');
    assert.equal(csr.commonName, 'Customer MDM');
    assert.equal(csr.signatureAlgorithm, 'RSASSA-PKCS1-v1_5/SHA-256');
    assert.deepEqual({ type: csr.publicKey.type, bits: csr.publicKey.bits }, { type: 'rsa', bits: 2048 });
    assert.deepEqual(csr.publicKey.spki, opensslSpki(opensslKeyPath));
  });

  it('reads the DER form of the same CSR', () => {
    const der = opensslToDer('req', opensslCsrPath);
    const fromDer = parseCsr(der);
    assert.deepEqual(fromDer.der, parseCsr(opensslCsrPem).der);
    assert.equal(fromDer.subject.text, 'CN=Customer MDM, O=Customer Inc, C=US');
  });

  it('reads a "NEW CERTIFICATE REQUEST" block', () => {
    const renamed = opensslCsrPem.replaceAll('CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST');
    assert.equal(parseCsr(renamed).commonName, 'Customer MDM');
  });

  it('reports the key size of a 1024-bit CSR', () => {
    const file = path.join(dir, 'small.csr');
    openssl(['req', '-new', '-key', opensslRsaKey(dir, 'small.key', 1024), '-subj', '/CN=small', '-out', file]);
    assert.equal(parseCsr(fs.readFileSync(file, 'utf8')).publicKey.bits, 1024);
  });

  it('reports random bytes as CSR_UNPARSABLE', () => {
    throwsCode(() => parseCsr(crypto.randomBytes(300)), 'CSR_UNPARSABLE');
  });

  it('reports a certificate given as DER as CSR_UNPARSABLE', () => {
    const certFile = path.join(dir, 'cert.pem');
    openssl(['req', '-x509', '-key', opensslKeyPath, '-subj', '/CN=cert', '-days', '1', '-out', certFile]);
    throwsCode(() => parseCsr(opensslToDer('x509', certFile)), 'CSR_UNPARSABLE');
  });

  it('csrToPem writes the canonical PEM openssl writes', () => {
    assert.equal(csrToPem(parseCsr(opensslCsrPem)), opensslCsrPem);
  });
});

describe('verifyCsrSignature', () => {
  it('accepts the signature of an openssl CSR', async () => {
    assert.equal(await verifyCsrSignature(parseCsr(opensslCsrPem)), true);
  });

  it('rejects a CSR with one flipped byte in its signature, as openssl does', async () => {
    const der = parseCsr(opensslCsrPem).der;
    const broken = flipByte(der, der.length - 10);
    assert.equal(await verifyCsrSignature(parseCsr(broken)), false);
    assert.equal(opensslVerdict(writeCsr('bad-signature.csr', broken)), 'failure');
  });

  it('rejects a CSR with one changed byte in its subject, as openssl does', async () => {
    const der = parseCsr(opensslCsrPem).der;
    const at = der.indexOf('Customer MDM');
    assert.ok(at > 0);
    const broken = flipByte(der, at);
    const csr = parseCsr(broken);
    assert.equal(csr.commonName, 'Bustomer MDM');
    assert.equal(await verifyCsrSignature(csr), false);
    assert.equal(opensslVerdict(writeCsr('bad-subject.csr', broken)), 'failure');
  });

  it('rejects a CSR whose public key was swapped for another key', async () => {
    // Same subject, signed by key A, but carrying key B: proof of possession fails.
    const other = parsePrivateKey(fs.readFileSync(opensslKeyPath, 'utf8'));
    const a = await createCsr(key, { CN: 'swap' });
    const b = await createCsr(other, { CN: 'swap' });
    const spliced = Buffer.from(a.der);
    const at = spliced.indexOf(a.publicKey.spki);
    assert.ok(at > 0);
    b.publicKey.spki.copy(spliced, at);
    assert.equal(await verifyCsrSignature(parseCsr(spliced)), false);
  });
});
