import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { type Certificate, certificateToPem, parseCertificate } from '../../src/pki/certificate.ts';
import { issueCertificate } from '../../src/pki/issue.ts';
import { generateRsaKey, parsePrivateKey } from '../../src/pki/key.ts';
import type { TestPki } from '../../src/simulators/test-pki.ts';
import { rejectsCode } from '../fixtures/certpush-error.ts';
import { openssl, opensslStatus, tempDir, testPki } from '../fixtures/pki.ts';

const DAY = 86_400_000;
const dir = tempDir();
let pki: TestPki;
const subjectKey = generateRsaKey();

function writeCerts(name: string, ...certs: Array<Certificate | string>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, certs.map((c) => (typeof c === 'string' ? c : certificateToPem(c))).join(''));
  return file;
}

function issuerOf(identity: { cert: string; key: string }) {
  return { certificate: parseCertificate(identity.cert), privateKey: parsePrivateKey(identity.key) };
}

before(async () => {
  pki = await testPki();
});

describe('issueCertificate', () => {
  it('issues a certificate that openssl verify accepts against its CA and intermediate', async () => {
    const cert = await issueCertificate({
      subject: { CN: 'issued leaf', O: 'certpush test' }, publicKey: subjectKey, issuer: issuerOf(pki.wwdr),
      notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY), keyUsage: ['digitalSignature'],
    });
    const result = opensslStatus(['verify', '-CAfile', writeCerts('root.pem', pki.appleRoot.cert), '-untrusted', writeCerts('wwdr.pem', pki.wwdr.cert), writeCerts('leaf.pem', cert)]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('issues a self-signed CA that openssl verify accepts as its own anchor', async () => {
    const cert = await issueCertificate({
      subject: { CN: 'issued root' }, publicKey: subjectKey, selfSigningKey: subjectKey,
      notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY), isCa: true, keyUsage: ['keyCertSign'],
    });
    const file = writeCerts('self.pem', cert);
    assert.equal(opensslStatus(['verify', '-CAfile', file, file]).status, 0);
    assert.match(openssl(['x509', '-in', file, '-noout', '-ext', 'basicConstraints']), /critical\s+CA:TRUE/);
  });

  it('every test PKI certificate verifies with openssl against its root', () => {
    const check = (root: string, untrusted: string[], leaf: string) => {
      const args = ['verify', '-CAfile', writeCerts('anchor.pem', root)];
      if (untrusted.length) args.push('-untrusted', writeCerts('inter.pem', ...untrusted));
      const r = opensslStatus([...args, writeCerts('subject.pem', leaf)]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    };
    check(pki.appleRoot.cert, [pki.wwdr.cert], pki.vendor.cert);
    check(pki.appleRoot.cert, [], pki.pushCa.cert);
    check(pki.serverCa.cert, [], pki.server.cert);
    check(pki.mpnsRoot.cert, [], pki.mpnsClient.cert);
  });

  it('writes the DNS names and IP addresses of the server certificate into subjectAltName', () => {
    const text = openssl(['x509', '-in', writeCerts('server.pem', pki.server.cert), '-noout', '-ext', 'subjectAltName']);
    assert.match(text, /DNS:localhost/);
    assert.match(text, /IP Address:127\.0\.0\.1/);
    assert.match(text, /IP Address:0:0:0:0:0:0:0:1/);
  });

  it('gives the server certificate serverAuth, which openssl checks for the ssl_server purpose', () => {
    const r = opensslStatus(['verify', '-purpose', 'sslserver', '-CAfile', writeCerts('server-ca.pem', pki.serverCa.cert), writeCerts('server2.pem', pki.server.cert)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('uses the given serial number and validity dates', async () => {
    const notBefore = new Date('2030-01-02T03:04:05Z');
    const notAfter = new Date('2031-06-07T08:09:10Z');
    const cert = await issueCertificate({ subject: { CN: 'dated' }, publicKey: subjectKey, issuer: issuerOf(pki.wwdr), notBefore, notAfter, serialNumber: '0badc0ffee' });
    const shown = openssl(['x509', '-in', writeCerts('dated.pem', cert), '-noout', '-serial', '-startdate', '-enddate']);
    assert.match(shown, /serial=0BADC0FFEE/);
    assert.match(shown, /notBefore=Jan  2 03:04:05 2030 GMT/);
    assert.match(shown, /notAfter=Jun  7 08:09:10 2031 GMT/);
  });

  it('makes random serial numbers that are positive and distinct', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const cert = await issueCertificate({ subject: { CN: `serial ${i}` }, publicKey: subjectKey, selfSigningKey: subjectKey, notBefore: new Date(), notAfter: new Date(Date.now() + DAY) });
      const shown = openssl(['x509', '-noout', '-serial'], { input: certificateToPem(cert) }).trim();
      assert.doesNotMatch(shown, /serial=-/);
      serials.add(shown);
    }
    assert.equal(serials.size, 8);
  });

  it('writes marker extensions as ASN.1 NULL under their OID', async () => {
    const cert = await issueCertificate({
      subject: { CN: 'marked' }, publicKey: subjectKey, issuer: issuerOf(pki.pushCa),
      notBefore: new Date(), notAfter: new Date(Date.now() + DAY), markerExtensions: ['1.2.840.113635.100.6.3.2'],
    });
    const text = openssl(['asn1parse', '-i'], { input: certificateToPem(cert) });
    assert.match(text, /OBJECT\s+:1\.2\.840\.113635\.100\.6\.3\.2\n.*OCTET STRING\s+\[HEX DUMP\]:0500/);
    assert.deepEqual(cert.apnsEnvironments, ['production']);
  });

  it('copies the issuer name and key identifier from the issuer certificate', async () => {
    const issuer = issuerOf(pki.pushCa);
    const cert = await issueCertificate({ subject: { CN: 'child' }, publicKey: subjectKey, issuer, notBefore: new Date(), notAfter: new Date(Date.now() + DAY) });
    assert.equal(cert.issuer.text, issuer.certificate.subject.text);
    assert.equal(cert.authorityKeyId, issuer.certificate.subjectKeyId);
  });

  it('refuses to issue without an issuer or self-signing key with ISSUE_NO_SIGNER', async () => {
    await rejectsCode(() => issueCertificate({ subject: { CN: 'x' }, publicKey: subjectKey, notBefore: new Date(), notAfter: new Date() }), 'ISSUE_NO_SIGNER');
  });

  it('refuses a non-RSA signing key with ISSUE_KEY_TYPE', async () => {
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    await rejectsCode(() => issueCertificate({ subject: { CN: 'x' }, publicKey: ec, selfSigningKey: ec, notBefore: new Date(), notAfter: new Date() }), 'ISSUE_KEY_TYPE');
  });
});
