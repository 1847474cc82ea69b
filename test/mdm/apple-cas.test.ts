import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { appleCas, appleIssuerOf, appleRoots, appleVendorChain, appleWwdrCas, resolveVendorChain } from '../../src/mdm/apple-cas.ts';
import { checkPushCertificateImport } from '../../src/mdm/push-cert-import.ts';
import { type FindingsError, signPushCertRequest, verifyPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { createCsr } from '../../src/pki/csr.ts';
import { loadIdentity } from '../../src/pki/identity.ts';
import { issueCertificate } from '../../src/pki/issue.ts';
import { generateRsaKey } from '../../src/pki/key.ts';
import { rejectsCode, throwsCode } from '../fixtures/certpush-error.ts';
import { testPki } from '../fixtures/pki.ts';

// The SHA-256 of each file as published in ../shared/apple-certs/README.md (Apple's own DER files).
const PINNED: Record<string, string> = {
  'AppleAAI2CA.pem': 'D3:49:6F:4B:73:CD:67:AA:B9:F2:FC:B1:D5:AA:41:F8:DC:45:77:69:C4:55:C7:92:B7:0D:DB:19:E9:20:23:D6',
  'AppleAAICAG3.pem': 'A6:4B:09:9D:BD:73:EB:B0:36:B4:20:4E:16:75:E8:AA:82:16:37:D0:9B:84:98:08:99:10:4A:D5:9D:66:4A:3B',
  'AppleIncRootCertificate.pem': 'B0:B1:73:0E:CB:C7:FF:45:05:14:2C:49:F1:29:5E:6E:DA:6B:CA:ED:7E:2C:68:C5:BE:91:B5:A1:10:01:F0:24',
  'AppleRootCA-G2.pem': 'C2:B9:B0:42:DD:57:83:0E:7D:11:7D:AC:55:AC:8A:E1:94:07:D3:8E:41:D8:8F:32:15:BC:3A:89:04:44:A0:50',
  'AppleRootCA-G3.pem': '63:34:3A:BF:B8:9A:6A:03:EB:B5:7E:9B:3F:5F:A7:BE:7C:4F:5C:75:6F:30:17:B3:A8:C4:88:C3:65:3E:91:79',
  'AppleWWDRCAG2.pem': '9E:D4:B3:B8:8C:6A:33:9C:F1:38:78:95:BD:A9:CA:6E:A3:1A:6B:5C:E9:ED:F7:51:18:45:92:3B:0C:8A:C9:4C',
  'AppleWWDRCAG3.pem': 'DC:F2:18:78:C7:7F:41:98:E4:B4:61:4F:03:D6:96:D8:9C:66:C6:60:08:D4:24:4E:1B:99:16:1A:AC:91:60:1F',
  'AppleWWDRCAG4.pem': 'EA:47:57:88:55:38:DD:8C:B5:9F:F4:55:6F:67:60:87:D8:3C:85:E7:09:02:C1:22:E4:2C:08:08:B5:BC:E1:4C',
  'AppleWWDRCAG5.pem': '53:FD:00:82:78:E5:A5:95:FE:1E:90:8A:E9:C5:E5:67:5F:26:24:32:64:A5:A6:43:8C:02:3E:3C:E2:87:07:60',
  'AppleWWDRCAG6.pem': 'BD:D4:ED:6E:74:69:1F:0C:2B:FD:01:BE:02:96:19:7A:F1:37:9E:04:18:E2:D3:00:EF:A9:C3:BE:F6:42:CA:30',
};

const byFile = (file: string) => appleCas().find((ca) => ca.file === file)!.certificate;
const examplePushCert = () => parseCertificate(fs.readFileSync(new URL('../fixtures/apple/example-mdm-push-cert-2021.pem', import.meta.url)));

describe('Apple\'s CA certificates built into certpush', () => {
  it('are exactly the files Apple publishes, by SHA-256', () => {
    assert.deepEqual(appleCas().map((ca) => ca.file).sort(), Object.keys(PINNED).sort());
    for (const ca of appleCas()) assert.equal(ca.certificate.fingerprintSha256, PINNED[ca.file]!.replace(/:/g, '').toLowerCase(), ca.file);
  });

  it('hold three self-signed roots and the five WWDR intermediates G2–G6', () => {
    assert.deepEqual(appleRoots().map((c) => c.commonName), ['Apple Root CA', 'Apple Root CA - G2', 'Apple Root CA - G3']);
    assert.ok(appleRoots().every((c) => c.selfIssued && c.isCa));
    assert.equal(appleWwdrCas().length, 5);
  });

  it('chain WWDR G3 to Apple Inc. Root and the ECDSA WWDR G6 to Apple Root CA - G3, by real signatures', () => {
    assert.deepEqual(appleIssuerOf(byFile('AppleWWDRCAG3.pem')).root, 'Apple Root CA');
    assert.deepEqual(appleIssuerOf(byFile('AppleWWDRCAG6.pem')).root, 'Apple Root CA - G3');
  });

  it('report a real MDM push certificate as issued by Apple Application Integration 2 under Apple Inc. Root', () => {
    const issuer = appleIssuerOf(examplePushCert());
    assert.equal(issuer.apple, true);
    assert.equal(issuer.issuer, 'Apple Application Integration 2 Certification Authority');
    assert.equal(issuer.root, 'Apple Root CA');
    assert.equal(issuer.chain.length, 3);
  });

  it('report a test PKI\'s push certificate as not Apple-issued', async () => {
    const pki = await testPki();
    const issuer = appleIssuerOf(parseCertificate(pki.pushCa.cert));
    assert.equal(issuer.apple, false);
    assert.equal(issuer.issuer, null);
  });
});

describe('choosing the vendor chain from the built-in CAs', () => {
  it('refuses a vendor certificate from a test CA, saying it is not Apple\'s and how to pass a test PKI', async () => {
    const pki = await testPki();
    const error = throwsCode(() => appleVendorChain(parseCertificate(pki.vendor.cert)), 'VENDOR_NOT_APPLE_ISSUED');
    assert.match(error.message, /none of Apple's WWDR CAs \(G2–G6\)/);
    assert.match(error.message, /--intermediate and --root/);
  });

  it('refuses a certificate that names WWDR G3 as its issuer (and its key id) but was not signed by Apple', async () => {
    const g3 = byFile('AppleWWDRCAG3.pem');
    const forged = await issueCertificate({ subject: { CN: 'MDM Vendor: Forged Inc.' }, publicKey: generateRsaKey(), issuer: { certificate: g3, privateKey: generateRsaKey() }, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 365 * 86_400_000) });
    assert.equal(forged.issuer.text, g3.subject.text);
    assert.equal(forged.authorityKeyId, g3.subjectKeyId);
    const error = throwsCode(() => appleVendorChain(forged), 'VENDOR_NOT_APPLE_ISSUED');
    assert.match(error.message, /that Apple CA's key did not sign it/);
  });

  it('takes a test PKI\'s intermediate and root when both are given', async () => {
    const pki = await testPki();
    const chain = resolveVendorChain(parseCertificate(pki.vendor.cert), { intermediate: parseCertificate(pki.wwdr.cert), root: parseCertificate(pki.appleRoot.cert) });
    assert.equal(chain.root.fingerprintSha256, parseCertificate(pki.appleRoot.cert).fingerprintSha256);
  });

  it('refuses a root without its intermediate', async () => {
    const pki = await testPki();
    throwsCode(() => resolveVendorChain(parseCertificate(pki.vendor.cert), { root: parseCertificate(pki.appleRoot.cert) }), 'CLI_USAGE');
  });

  it('makes signPushCertRequest without --intermediate/--root refuse a test vendor certificate', async () => {
    const pki = await testPki();
    const csr = await createCsr(generateRsaKey(), { CN: 'Customer' });
    await rejectsCode(() => signPushCertRequest({ csr: csr.der, vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }) }), 'VENDOR_NOT_APPLE_ISSUED');
  });
});

describe('verifying a request against Apple\'s roots by default', () => {
  it('finds a test-PKI-signed request invalid when no root is given: nothing is accepted unverified', async () => {
    const pki = await testPki();
    const csr = await createCsr(generateRsaKey(), { CN: 'Customer' });
    const signed = await signPushCertRequest({ csr: csr.der, vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }), intermediate: parseCertificate(pki.wwdr.cert), root: parseCertificate(pki.appleRoot.cert) });
    const report = await verifyPushCertRequest(signed.request, {});
    assert.equal(report.valid, false);
    assert.ok(report.findings.some((f) => f.code === 'CHAIN_UNTRUSTED_ROOT'), JSON.stringify(report.findings));
    assert.equal((await verifyPushCertRequest(signed.request, { root: parseCertificate(pki.appleRoot.cert) })).valid, true);
  });
});

describe('importing a push certificate reports who issued it', () => {
  it('verifies a real MDM push certificate up to Apple Inc. Root and reports it Apple-issued', () => {
    const cert = examplePushCert();
    const decision = checkPushCertificateImport({ certificate: cert }, { expectedKeySpki: cert.publicKey.spki, now: new Date('2021-06-01T00:00:00Z') });
    assert.equal(decision.topic, 'com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9');
    assert.deepEqual({ apple: decision.issuer.apple, issuer: decision.issuer.issuer, root: decision.issuer.root }, { apple: true, issuer: 'Apple Application Integration 2 Certification Authority', root: 'Apple Root CA' });
  });

  it('refuses a certificate that names Apple Application Integration 2 as issuer but is not signed by it', async () => {
    const key = generateRsaKey();
    const forged = await issueCertificate({ subject: { CN: 'APSP:forged' }, publicKey: key, issuer: { certificate: byFile('AppleAAI2CA.pem'), privateKey: generateRsaKey() }, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 365 * 86_400_000) });
    const error = throwsCode(() => checkPushCertificateImport({ certificate: forged }, { expectedKeySpki: forged.publicKey.spki }), 'PUSH_CERT_REFUSED') as FindingsError;
    assert.ok(error.findings.some((f) => f.code === 'PUSH_CERT_NOT_GENUINE'), JSON.stringify(error.findings));
  });
});
