import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  type Certificate, certificateToPem, daysLeft, describeCertificate, isSignedBy, parseCertificate, parseCertificates, validityAt,
} from '../../src/pki/certificate.ts';
import { issueCertificate } from '../../src/pki/issue.ts';
import { generateRsaKey, parsePrivateKey, spkiOf } from '../../src/pki/key.ts';
import { issueMdmPushCertificate, MDM_TOPIC_PREFIX, type TestPki } from '../../src/simulators/test-pki.ts';
import { throwsCode } from '../fixtures/certpush-error.ts';
import { opensslDatedCertificate, opensslFingerprint, opensslRsaKey, opensslToDer } from '../fixtures/openssl-pki.ts';
import { openssl, opensslStatus, tempDir, testPki } from '../fixtures/pki.ts';

const DAY = 86_400_000;
const dir = tempDir();
let pki: TestPki;
const deviceKey = generateRsaKey();
let push: Certificate;
let pushPath: string;
let topic: string;
let development: Certificate;
let pushCa: Certificate;
let appleRoot: Certificate;
let wwdr: Certificate;

function writeCert(name: string, pem: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, pem);
  return file;
}

/** An openssl-printed extension value ("X509v3 Subject Key Identifier: \n 68:A3:…") as lowercase hex. */
function opensslKeyId(certPath: string, ext: string): string {
  const text = openssl(['x509', '-in', certPath, '-noout', '-ext', ext]);
  return text.split('\n')[1]!.trim().replace(/^keyid:/, '').replaceAll(':', '').toLowerCase();
}

before(async () => {
  pki = await testPki();
  const issued = await issueMdmPushCertificate(pki, { publicKey: deviceKey });
  topic = issued.topic;
  push = parseCertificate(issued.cert);
  pushPath = writeCert('push.pem', issued.cert);
  development = parseCertificate((await issueMdmPushCertificate(pki, { publicKey: deviceKey, environments: ['development'] })).cert);
  pushCa = parseCertificate(pki.pushCa.cert);
  appleRoot = parseCertificate(pki.appleRoot.cert);
  wwdr = parseCertificate(pki.wwdr.cert);
});

describe('an MDM push certificate from the test PKI', () => {
  it('carries the APNs topic com.apple.mgmt.External.<uuid> as its subject UID', () => {
    assert.equal(push.uid, topic);
    assert.match(push.uid!, /^com\.apple\.mgmt\.External\.[0-9a-f-]{36}$/);
  });

  it('has the common name APSP:<uuid> with the uuid of its topic', () => {
    assert.equal(push.commonName, `APSP:${topic.slice(MDM_TOPIC_PREFIX.length)}`);
  });

  it('has the subject openssl shows, attribute by attribute in order', () => {
    const shown = openssl(['x509', '-in', pushPath, '-noout', '-subject', '-nameopt', 'sep_comma_plus_space']).trim();
    assert.equal(`subject=${push.subject.text}`, shown);
    assert.deepEqual(push.subject.attributes.map((a) => [a.name, a.oid]), [
      ['UID', '0.9.2342.19200300.100.1.1'], ['CN', '2.5.4.3'], ['C', '2.5.4.6'],
    ]);
  });

  it('names the push CA as its issuer', () => {
    assert.equal(push.issuer.text, pushCa.subject.text);
    assert.equal(push.selfIssued, false);
  });

  it('is for TLS client authentication only', () => {
    assert.deepEqual(push.extendedKeyUsage, ['clientAuth']);
    assert.match(openssl(['x509', '-in', pushPath, '-noout', '-ext', 'extendedKeyUsage']), /TLS Web Client Authentication/);
  });

  it('has the key usages digitalSignature and keyEncipherment', () => {
    assert.deepEqual(push.keyUsage, ['digitalSignature', 'keyEncipherment']);
  });

  it('is marked for the production APNs environment by default', () => {
    assert.deepEqual(push.apnsEnvironments, ['production']);
    const text = openssl(['x509', '-in', pushPath, '-noout', '-text']);
    assert.match(text, /1\.2\.840\.113635\.100\.6\.3\.2/);
    assert.doesNotMatch(text, /1\.2\.840\.113635\.100\.6\.3\.1/);
  });

  it('is marked for the development APNs environment when issued for it', () => {
    assert.deepEqual(development.apnsEnvironments, ['development']);
  });

  it('has a subject key identifier that openssl agrees with', () => {
    assert.match(push.subjectKeyId!, /^[0-9a-f]{40}$/);
    assert.equal(push.subjectKeyId, opensslKeyId(pushPath, 'subjectKeyIdentifier'));
  });

  it('has an authority key identifier equal to the push CA subject key identifier', () => {
    assert.equal(push.authorityKeyId, pushCa.subjectKeyId);
    assert.equal(push.authorityKeyId, opensslKeyId(pushPath, 'authorityKeyIdentifier'));
  });

  it('holds the 2048-bit RSA public key it was issued for', () => {
    assert.equal(push.publicKey.type, 'rsa');
    assert.equal(push.publicKey.bits, 2048);
    assert.deepEqual(push.publicKey.spki, spkiOf(deviceKey));
  });

  it('is not a CA', () => {
    assert.equal(push.isCa, false);
    assert.equal(push.pathLength, null);
  });

  it('is signed with SHA-256 and RSA, as openssl reports', () => {
    assert.equal(push.signatureAlgorithm, 'RSASSA-PKCS1-v1_5/SHA-256');
    assert.match(openssl(['x509', '-in', pushPath, '-noout', '-text']), /Signature Algorithm: sha256WithRSAEncryption/);
  });

  it('has the SHA-256 fingerprint openssl computes', () => {
    assert.equal(push.fingerprintSha256, opensslFingerprint(pushPath));
  });

  it('keeps its DER in a buffer of its own, not in a slab of Node\'s shared Buffer pool', () => {
    // Parsed certificates are cached for as long as a session uses them; a 1.5 KB slice would
    // keep its whole 64 KB slab resident.
    const parsed = parseCertificate(fs.readFileSync(pushPath, 'utf8'));
    assert.equal(parsed.der.buffer.byteLength, parsed.der.length);
    assert.equal(crypto.hash('sha256', parsed.der, 'hex'), push.fingerprintSha256);
  });

  it('has the serial number openssl shows', () => {
    const shown = openssl(['x509', '-in', pushPath, '-noout', '-serial']).trim().split('=')[1]!;
    assert.equal(BigInt(`0x${push.serialNumber}`), BigInt(`0x${shown}`));
    assert.match(push.serialNumber, /^[0-9a-f]+$/);
  });

  it('has the validity dates openssl shows, one year long', () => {
    const dates = openssl(['x509', '-in', pushPath, '-noout', '-startdate', '-enddate']);
    const [start, end] = dates.trim().split('\n').map((l) => new Date(l.split('=')[1]!));
    assert.equal(push.notBefore.getTime(), start!.getTime());
    assert.equal(push.notAfter.getTime(), end!.getTime());
    assert.equal(push.notAfter.getTime() - push.notBefore.getTime(), 365 * DAY);
  });

  it('is signed by the push CA and not by the WWDR intermediate', () => {
    assert.equal(isSignedBy(push, pushCa), true);
    assert.equal(isSignedBy(push, wwdr), false);
  });
});

describe('CA certificates from the test PKI', () => {
  it('a root is a self-issued CA without a path length limit that may sign certificates and CRLs', () => {
    assert.equal(appleRoot.isCa, true);
    assert.equal(appleRoot.pathLength, null);
    assert.equal(appleRoot.selfIssued, true);
    assert.deepEqual(appleRoot.keyUsage, ['keyCertSign', 'cRLSign']);
    assert.equal(isSignedBy(appleRoot, appleRoot), true);
  });

  it('an intermediate is a CA with path length 0 issued by the root', () => {
    assert.equal(wwdr.isCa, true);
    assert.equal(wwdr.pathLength, 0);
    assert.ok(wwdr.keyUsage.includes('keyCertSign'));
    assert.equal(wwdr.selfIssued, false);
    assert.equal(wwdr.authorityKeyId, appleRoot.subjectKeyId);
  });

  it('openssl sees the same CA constraints', () => {
    const text = openssl(['x509', '-in', writeCert('wwdr.pem', pki.wwdr.cert), '-noout', '-ext', 'basicConstraints,keyUsage']);
    assert.match(text, /CA:TRUE, pathlen:0/);
    assert.match(text, /Certificate Sign, CRL Sign/);
  });
});

describe('validity', () => {
  it('daysLeft counts whole days until expiry', () => {
    const now = new Date(push.notAfter.getTime() - 10 * DAY - 3_600_000);
    assert.equal(daysLeft(push, now), 10);
  });

  it('daysLeft is negative once expired', () => {
    assert.equal(daysLeft(push, new Date(push.notAfter.getTime() + 2 * DAY + 1)), -3);
  });

  it('validityAt is valid between notBefore and notAfter, inclusive', () => {
    assert.equal(validityAt(push), 'valid');
    assert.equal(validityAt(push, push.notBefore), 'valid');
    assert.equal(validityAt(push, push.notAfter), 'valid');
  });

  it('validityAt is expired after notAfter and not-yet-valid before notBefore', () => {
    assert.equal(validityAt(push, new Date(push.notAfter.getTime() + 1000)), 'expired');
    assert.equal(validityAt(push, new Date(push.notBefore.getTime() - 1000)), 'not-yet-valid');
  });

  it('an expired certificate made by openssl is expired now, as openssl -checkend agrees', () => {
    const file = opensslDatedCertificate(dir, { keyPath: opensslRsaKey(dir, 'expired.key'), commonName: 'expired by openssl', startDate: '20200101000000Z', endDate: '20200201000000Z' });
    const cert = parseCertificate(fs.readFileSync(file));
    assert.equal(cert.notAfter.toISOString(), '2020-02-01T00:00:00.000Z');
    assert.equal(validityAt(cert), 'expired');
    assert.ok(daysLeft(cert) < 0);
    assert.notEqual(opensslStatus(['x509', '-in', file, '-noout', '-checkend', '0']).status, 0);
  });

  it('a certificate issued for the future is not yet valid', async () => {
    const key = generateRsaKey();
    const future = await issueCertificate({
      subject: { CN: 'future' }, publicKey: key, selfSigningKey: key,
      notBefore: new Date(Date.now() + 30 * DAY), notAfter: new Date(Date.now() + 60 * DAY),
    });
    assert.equal(validityAt(future), 'not-yet-valid');
    assert.ok(daysLeft(future) >= 59);
  });
});

describe('parseCertificate and parseCertificates', () => {
  it('parseCertificate reads the binary DER openssl writes', () => {
    const der = opensslToDer('x509', pushPath);
    const cert = parseCertificate(der);
    assert.equal(cert.fingerprintSha256, push.fingerprintSha256);
    assert.equal(cert.uid, topic);
  });

  it('parseCertificate reads an openssl TRUSTED CERTIFICATE as the certificate, without its trust settings', () => {
    const trusted = openssl(['x509', '-in', pushPath, '-trustout', '-addtrust', 'clientAuth']);
    assert.match(trusted, /BEGIN TRUSTED CERTIFICATE/);
    const cert = parseCertificate(trusted);
    assert.equal(cert.fingerprintSha256, opensslFingerprint(pushPath));
    assert.deepEqual(cert.der, push.der);
  });

  it('parseCertificates reads every certificate of a bundle in file order', () => {
    const certs = parseCertificates(pki.vendor.cert + pki.wwdr.cert + pki.appleRoot.cert);
    assert.deepEqual(certs.map((c) => c.subject.text), [
      parseCertificate(pki.vendor.cert).subject.text, wwdr.subject.text, appleRoot.subject.text,
    ]);
  });

  it('parseCertificates skips other blocks in a bundle', () => {
    const certs = parseCertificates(pki.vendor.key + pki.vendor.cert);
    assert.equal(certs.length, 1);
  });

  it('parseCertificates reads a DER file as one certificate', () => {
    const certs = parseCertificates(opensslToDer('x509', pushPath));
    assert.deepEqual(certs.map((c) => c.fingerprintSha256), [push.fingerprintSha256]);
  });

  it('parseCertificates reports a PEM file without certificates as PEM_WRONG_TYPE', () => {
    throwsCode(() => parseCertificates(pki.vendor.key), 'PEM_WRONG_TYPE');
  });

  it('reports random bytes as CERT_UNPARSABLE', () => {
    throwsCode(() => parseCertificate(crypto.randomBytes(512)), 'CERT_UNPARSABLE');
  });

  it('reports a CERTIFICATE block holding a key as CERT_UNPARSABLE', () => {
    const keyDer = parsePrivateKey(pki.vendor.key).export({ format: 'der', type: 'pkcs8' });
    throwsCode(() => parseCertificate(`-----BEGIN CERTIFICATE-----\n${keyDer.toString('base64')}\n-----END CERTIFICATE-----\n`), 'CERT_UNPARSABLE');
  });

  it('reports a certificate with a malformed extension as CERT_UNPARSABLE', () => {
    // openssl writes any DER as an extension value: here ASN.1 NULL where extendedKeyUsage needs a SEQUENCE.
    const file = path.join(dir, 'bad-eku.pem');
    openssl(['req', '-x509', '-key', opensslRsaKey(dir, 'bad-eku.key'), '-subj', '/CN=bad eku', '-days', '1', '-addext', '2.5.29.37=DER:0500', '-out', file]);
    const error = throwsCode(() => parseCertificate(fs.readFileSync(file, 'utf8')), 'CERT_UNPARSABLE');
    assert.match(error.message, /extensions/);
  });

  it('certificateToPem writes what openssl writes', () => {
    assert.equal(certificateToPem(push), openssl(['x509', '-in', pushPath]));
  });
});

describe('describeCertificate', () => {
  it('is plain JSON: dates as ISO strings, no key material or Node objects', () => {
    const described = describeCertificate(push, new Date(push.notBefore.getTime() + DAY));
    assert.deepEqual(JSON.parse(JSON.stringify(described)), described);
    assert.equal(described.notAfter, push.notAfter.toISOString());
    assert.equal(described.validity, 'valid');
    assert.equal(described.daysLeft, 364);
    assert.equal(described.uid, topic);
    assert.deepEqual(described.publicKey, { type: 'rsa', bits: 2048, curve: null });
  });
});
