import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { isSignedBy, parseCertificate } from '../../src/pki/certificate.ts';
import { createCsr, type Csr } from '../../src/pki/csr.ts';
import { loadIdentity } from '../../src/pki/identity.ts';
import { generateRsaKey, keyMatchesSpki } from '../../src/pki/key.ts';
import { issuePushCertificate } from '../../src/simulators/apple-portal.ts';
import { issueMdmPushCertificate, MDM_TOPIC_PREFIX } from '../../src/simulators/test-pki.ts';
import { testPki } from '../fixtures/pki.ts';

async function signedRequest(csr: Csr): Promise<string> {
  const pki = await testPki();
  const { request } = await signPushCertRequest({
    csr: csr.der,
    vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }),
    intermediate: parseCertificate(pki.wwdr.cert),
    root: parseCertificate(pki.appleRoot.cert),
  });
  return request;
}

describe('Apple portal stand-in', () => {
  it('issues an MDM push certificate for the CSR\'s key, as Apple does', async () => {
    const pki = await testPki();
    const key = generateRsaKey();
    const result = await issuePushCertificate(pki, await signedRequest(await createCsr(key, { CN: 'Customer' })));
    const cert = parseCertificate(result.cert);
    assert.ok(keyMatchesSpki(key, cert.publicKey.spki), 'the certificate is for the CSR\'s key');
    assert.equal(cert.uid, result.topic);
    assert.ok(result.topic.startsWith(MDM_TOPIC_PREFIX));
    assert.equal(cert.commonName, `APSP:${result.topic.slice(MDM_TOPIC_PREFIX.length)}`);
    assert.deepEqual(cert.extendedKeyUsage, ['clientAuth']);
    assert.deepEqual(cert.apnsEnvironments, ['production']);
    assert.ok(isSignedBy(cert, parseCertificate(pki.pushCa.cert)));
    const days = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 86_400_000;
    assert.ok(days >= 364 && days <= 366, `valid one year, got ${days} days`);
    assert.equal(result.renewed, false);
  });

  it('gives each new upload a new topic', async () => {
    const pki = await testPki();
    const a = await issuePushCertificate(pki, await signedRequest(await createCsr(generateRsaKey(), { CN: 'A' })));
    const b = await issuePushCertificate(pki, await signedRequest(await createCsr(generateRsaKey(), { CN: 'B' })));
    assert.notEqual(a.topic, b.topic);
  });

  it('keeps the topic when renewing the previous certificate', async () => {
    const pki = await testPki();
    const key = generateRsaKey();
    const first = await issuePushCertificate(pki, await signedRequest(await createCsr(key, { CN: 'Customer' })));
    const renewed = await issuePushCertificate(pki, await signedRequest(await createCsr(generateRsaKey(), { CN: 'Customer' })), { previous: first.cert });
    assert.equal(renewed.topic, first.topic);
    assert.equal(renewed.renewed, true);
    assert.equal(parseCertificate(renewed.cert).uid, first.topic);
  });

  it('rejects a request whose signature is invalid, with Apple\'s words', async () => {
    const pki = await testPki();
    const request = await signedRequest(await createCsr(generateRsaKey(), { CN: 'Customer' }));
    const xml = Buffer.from(request, 'base64').toString('utf8');
    const tampered = xml.replace(/(<key>PushCertSignature<\/key>\s*<string>)(.)/, (_, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
    await assert.rejects(issuePushCertificate(pki, Buffer.from(tampered).toString('base64')), /Certificate Signature Verification failed because the signature is invalid/);
  });

  it('refuses to renew a certificate it did not issue', async () => {
    const pki = await testPki();
    const foreign = await issueMdmPushCertificate({ ...pki, pushCa: pki.serverCa }, { publicKey: generateRsaKey() });
    const request = await signedRequest(await createCsr(generateRsaKey(), { CN: 'Customer' }));
    await assert.rejects(issuePushCertificate(pki, request, { previous: foreign.cert }), { code: 'PORTAL_NOT_RENEWABLE' });
  });
});
