import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { checkMpnsCredential } from '../../src/mpns/credential-check.ts';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { issueTestCertificate, type TestPki } from '../../src/simulators/test-pki.ts';
import { testPki } from './simulator-fixture.ts';

const DAY = 86_400_000;
let pki: TestPki;

before(async () => {
  pki = await testPki();
});

function check(certPem: string, options: { chain?: string[]; roots?: string[]; now?: Date } = {}) {
  return checkMpnsCredential({
    certificate: parseCertificate(certPem),
    chain: (options.chain ?? []).map((c) => parseCertificate(c)),
    roots: (options.roots ?? [pki.mpnsRoot.cert]).map((c) => parseCertificate(c)),
    now: options.now,
  });
}

function codes(report: ReturnType<typeof check>) {
  return report.findings.map((f) => f.code);
}

describe('MPNS credential check', () => {
  it('passes a clientAuth certificate under an allowed root', () => {
    const report = check(pki.mpnsClient.cert);
    assert.deepEqual(codes(report), []);
    assert.equal(report.passed, true);
  });

  it('reports the subject CN as the Service Name', () => {
    assert.equal(check(pki.mpnsClient.cert).serviceName, 'certpush-test-service');
  });

  it('shows how the app opens its channel with the Service Name', () => {
    assert.equal(check(pki.mpnsClient.cert).appUsage, 'new HttpNotificationChannel(channelName, "certpush-test-service")');
  });

  it('names the allowed root the certificate chains to', () => {
    assert.equal(check(pki.mpnsClient.cert).root, parseCertificate(pki.mpnsRoot.cert).subject.text);
  });

  it('reports the days left', () => {
    const cert = parseCertificate(pki.mpnsClient.cert);
    const now = new Date(cert.notAfter.getTime() - 100.5 * DAY);
    assert.equal(check(pki.mpnsClient.cert, { now }).daysLeft, 100);
  });

  it('fails a certificate without client authentication in its extended key usage', async () => {
    const serverOnly = await issueTestCertificate(pki.mpnsRoot, { commonName: 'service', extendedKeyUsage: ['serverAuth'] });
    const report = check(serverOnly.cert);
    assert.deepEqual(codes(report), ['MPNS_NO_CLIENT_AUTH']);
    assert.equal(report.passed, false);
  });

  it('fails a certificate from a root that is not allowed', async () => {
    const foreign = await issueTestCertificate(pki.serverCa, { commonName: 'service', extendedKeyUsage: ['clientAuth'] });
    assert.deepEqual(codes(check(foreign.cert)), ['MPNS_ROOT_NOT_ALLOWED']);
  });

  it('fails an expired certificate and counts its days as negative', async () => {
    const expired = await issueTestCertificate(pki.mpnsRoot, {
      commonName: 'service', extendedKeyUsage: ['clientAuth'], notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 35 * DAY),
    });
    const report = check(expired.cert);
    assert.deepEqual(codes(report), ['CERT_EXPIRED']);
    assert.ok(report.daysLeft < -30);
  });

  it('fails a certificate that is not valid yet', async () => {
    const future = await issueTestCertificate(pki.mpnsRoot, {
      commonName: 'service', extendedKeyUsage: ['clientAuth'], notBefore: new Date(Date.now() + 2 * DAY), notAfter: new Date(Date.now() + 400 * DAY),
    });
    assert.deepEqual(codes(check(future.cert)), ['CERT_NOT_YET_VALID']);
  });

  it('warns, but passes, when fewer than 30 days are left', () => {
    const cert = parseCertificate(pki.mpnsClient.cert);
    const report = check(pki.mpnsClient.cert, { now: new Date(cert.notAfter.getTime() - 10 * DAY) });
    assert.deepEqual(codes(report), ['MPNS_CERT_EXPIRING']);
    assert.equal(report.passed, true);
  });

  it('passes a certificate under an intermediate when the intermediate comes with it', async () => {
    const intermediate = await issueTestCertificate(pki.mpnsRoot, { commonName: 'certpush test Windows Phone Issuing CA', isCa: true });
    const leaf = await issueTestCertificate(intermediate, { commonName: 'service', extendedKeyUsage: ['clientAuth'] });
    const report = check(leaf.cert, { chain: [intermediate.cert] });
    assert.deepEqual(codes(report), []);
    assert.equal(report.chain.length, 3);
  });

  it('fails a certificate under an intermediate that is missing', async () => {
    const intermediate = await issueTestCertificate(pki.mpnsRoot, { commonName: 'certpush test Windows Phone Issuing CA', isCa: true });
    const leaf = await issueTestCertificate(intermediate, { commonName: 'service', extendedKeyUsage: ['clientAuth'] });
    const report = check(leaf.cert);
    assert.deepEqual(codes(report), ['MPNS_ROOT_NOT_ALLOWED']);
    assert.match(report.findings[0]!.message, /intermediate/);
  });

  it('fails when no allowed roots are given, asking for them', () => {
    const report = check(pki.mpnsClient.cert, { roots: [] });
    assert.deepEqual(codes(report), ['MPNS_NO_ROOTS']);
    assert.match(report.findings[0]!.message, /--roots/);
  });

  it('reports every problem at once', async () => {
    const bad = await issueTestCertificate(pki.serverCa, {
      commonName: 'service', extendedKeyUsage: ['serverAuth'], notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - DAY),
    });
    assert.deepEqual(codes(check(bad.cert)).sort(), ['CERT_EXPIRED', 'MPNS_NO_CLIENT_AUTH', 'MPNS_ROOT_NOT_ALLOWED']);
  });
});
