import assert from 'node:assert/strict';
import crypto, { type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkPushCertificateImport, type ImportCandidate, type ImportContext, MDM_TOPIC_PREFIX, readUploadedPushCertificate } from '../../src/mdm/push-cert-import.ts';
import { FindingsError, signPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { createCsr } from '../../src/pki/csr.ts';
import { loadIdentity } from '../../src/pki/identity.ts';
import { type Certificate, parseCertificate } from '../../src/pki/certificate.ts';
import { issueCertificate } from '../../src/pki/issue.ts';
import { generateRsaKey, parsePrivateKey, privateKeyToPem, spkiOf } from '../../src/pki/key.ts';
import { toPem } from '../../src/pki/pem.ts';
import { issueMdmPushCertificate, issueTestCertificate, MDM_TOPIC_PREFIX as TEST_PKI_TOPIC_PREFIX } from '../../src/simulators/test-pki.ts';
import { throwsCode } from '../fixtures/certpush-error.ts';
import { opensslPkcs12 } from '../fixtures/openssl-pki.ts';
import { tempDir, testPki, writeFiles } from '../fixtures/pki.ts';

const DAY = 86_400_000;

/** A tenant key (as certpush generates for the CSR) and the push certificate Apple issued for it. */
async function issued(options: Partial<Parameters<typeof issueMdmPushCertificate>[1]> = {}) {
  const key = options.publicKey ?? generateRsaKey();
  const { cert, topic } = await issueMdmPushCertificate(await testPki(), { ...options, publicKey: key });
  return { key, pem: cert, topic, certificate: parseCertificate(cert) };
}

/** An odd certificate under the test push CA, with the subject and usages a test needs. */
async function oddCertificate(key: KeyObject, options: { subject: Record<string, string>; extendedKeyUsage?: Array<'clientAuth' | 'serverAuth' | 'codeSigning'> }): Promise<Certificate> {
  const pki = await testPki();
  return issueCertificate({
    subject: options.subject,
    publicKey: key,
    issuer: { certificate: parseCertificate(pki.pushCa.cert), privateKey: parsePrivateKey(pki.pushCa.key) },
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 365 * DAY),
    extendedKeyUsage: options.extendedKeyUsage,
  });
}

function refusedCodes(candidate: ImportCandidate, context: ImportContext): string[] {
  try {
    checkPushCertificateImport(candidate, context);
  } catch (error) {
    assert.ok(error instanceof FindingsError, `expected a FindingsError, got ${error}`);
    assert.equal(error.code, 'PUSH_CERT_REFUSED');
    return error.findings.filter((f) => f.severity === 'error').map((f) => f.code);
  }
  assert.fail('expected the import to be refused');
}

function refusal(candidate: ImportCandidate, context: ImportContext): FindingsError {
  try {
    checkPushCertificateImport(candidate, context);
  } catch (error) {
    assert.ok(error instanceof FindingsError);
    return error;
  }
  assert.fail('expected the import to be refused');
}

describe('readUploadedPushCertificate', () => {
  it('reads a PEM certificate', async () => {
    const push = await issued();
    const candidate = readUploadedPushCertificate(push.pem, {});
    assert.equal(candidate.certificate.fingerprintSha256, push.certificate.fingerprintSha256);
    assert.equal(candidate.privateKey, undefined);
  });

  it('reads a DER certificate', async () => {
    const push = await issued();
    const candidate = readUploadedPushCertificate(push.certificate.der, {});
    assert.equal(candidate.certificate.uid, push.topic);
  });

  it('reads Base64 of the DER when the upload came as text without PEM markers', async () => {
    const push = await issued();
    const candidate = readUploadedPushCertificate(push.certificate.der.toString('base64'), {});
    assert.equal(candidate.certificate.uid, push.topic);
  });

  it('reads a PEM bundle with the key and the chain, picking the push certificate whatever the order', async () => {
    const pki = await testPki();
    const push = await issued();
    const candidate = readUploadedPushCertificate(pki.appleRoot.cert + pki.pushCa.cert + privateKeyToPem(push.key) + push.pem, {});
    assert.equal(candidate.certificate.uid, push.topic);
    assert.ok(candidate.privateKey);
    assert.deepEqual(spkiOf(candidate.privateKey), spkiOf(push.key));
    assert.equal(candidate.chain?.length, 2);
  });

  it('reads a PEM bundle whose key is encrypted, given the password', async () => {
    const push = await issued();
    const candidate = readUploadedPushCertificate(push.pem + privateKeyToPem(push.key, 'k3y-pass'), { password: 'k3y-pass' });
    assert.deepEqual(spkiOf(candidate.privateKey!), spkiOf(push.key));
  });

  it('asks for the password of an encrypted key in a PEM bundle', async () => {
    const push = await issued();
    throwsCode(() => readUploadedPushCertificate(push.pem + privateKeyToPem(push.key, 'k3y-pass'), {}), 'PUSH_CERT_KEY_ENCRYPTED');
  });

  for (const legacy of [false, true]) {
    it(`reads a PKCS#12 from openssl pkcs12 -export${legacy ? ' -legacy' : ''} with its key and chain`, async () => {
      const pki = await testPki();
      const push = await issued();
      const dir = tempDir();
      const files = writeFiles(dir, { 'push.pem': push.pem, 'push.key': privateKeyToPem(push.key), 'chain.pem': pki.pushCa.cert + pki.appleRoot.cert });
      const p12 = opensslPkcs12(dir, 'push.p12', { certPath: files['push.pem']!, keyPath: files['push.key']!, certfile: files['chain.pem']!, password: 'p12-secret', legacy });
      const candidate = readUploadedPushCertificate(p12, { password: 'p12-secret' });
      assert.equal(candidate.certificate.uid, push.topic);
      assert.deepEqual(spkiOf(candidate.privateKey!), spkiOf(push.key));
      assert.equal(candidate.chain?.length, 2);
    });
  }

  it('reads a PKCS#12 holding only the certificate', async () => {
    const push = await issued();
    const dir = tempDir();
    const files = writeFiles(dir, { 'push.pem': push.pem });
    const p12 = opensslPkcs12(dir, 'push.p12', { certPath: files['push.pem']!, password: 'p12-secret' });
    const candidate = readUploadedPushCertificate(p12, { password: 'p12-secret' });
    assert.equal(candidate.certificate.uid, push.topic);
    assert.equal(candidate.privateKey, undefined);
  });

  it('refuses a PKCS#12 with the wrong password', async () => {
    const push = await issued();
    const dir = tempDir();
    const files = writeFiles(dir, { 'push.pem': push.pem, 'push.key': privateKeyToPem(push.key) });
    const p12 = opensslPkcs12(dir, 'push.p12', { certPath: files['push.pem']!, keyPath: files['push.key']!, password: 'p12-secret' });
    throwsCode(() => readUploadedPushCertificate(p12, { password: 'wrong' }), 'P12_WRONG_PASSWORD');
  });

  it('asks for the password of a protected PKCS#12 given none', async () => {
    const push = await issued();
    const dir = tempDir();
    const files = writeFiles(dir, { 'push.pem': push.pem, 'push.key': privateKeyToPem(push.key) });
    const p12 = opensslPkcs12(dir, 'push.p12', { certPath: files['push.pem']!, keyPath: files['push.key']!, password: 'p12-secret' });
    throwsCode(() => readUploadedPushCertificate(p12, {}), 'P12_PASSWORD_REQUIRED');
  });

  it('refuses random bytes with a message that says what to upload', () => {
    const error = throwsCode(() => readUploadedPushCertificate(crypto.randomBytes(300), {}), 'PUSH_CERT_UNREADABLE');
    assert.match(error.message, /PEM, DER \(\.cer\) or PKCS#12/);
  });

  it('refuses text that is neither PEM nor Base64', () => {
    throwsCode(() => readUploadedPushCertificate('this is not a certificate!', {}), 'PUSH_CERT_UNREADABLE');
  });

  it('refuses an empty upload', () => {
    throwsCode(() => readUploadedPushCertificate(new Uint8Array(0), {}), 'PUSH_CERT_UNREADABLE');
  });

  it('refuses a CSR and explains that it is the file that goes to Apple', () => {
    const error = throwsCode(() => readUploadedPushCertificate(toPem('CERTIFICATE REQUEST', crypto.randomBytes(64)), {}), 'PUSH_CERT_MISSING');
    assert.match(error.message, /certificate signing request \(PEM/);
  });

  it('refuses a PEM certificate that is cut off', async () => {
    const push = await issued();
    throwsCode(() => readUploadedPushCertificate(push.pem.slice(0, 400), {}), 'PEM_TRUNCATED');
  });
});

describe('readUploadedPushCertificate and the files uploaded by mistake', () => {
  async function signedRequest() {
    const pki = await testPki();
    const csr = await createCsr(generateRsaKey(), { CN: 'Customer One', O: 'Acme', C: 'US' });
    const signed = await signPushCertRequest({ csr: csr.der, vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }), intermediate: parseCertificate(pki.wwdr.cert), root: parseCertificate(pki.appleRoot.cert) });
    return { csr, request: signed.request, plist: signed.plist };
  }

  it('names the push certificate request (.b64) as the file that goes to identity.apple.com/pushcert', async () => {
    const { request } = await signedRequest();
    for (const input of [request, Buffer.from(request), `${request.replace(/(.{76})/g, '$1\n')}\n`]) {
      const error = throwsCode(() => readUploadedPushCertificate(input, {}), 'PUSH_CERT_IS_REQUEST');
      assert.match(error.message, /push certificate request .*identity\.apple\.com\/pushcert — not the certificate Apple issues/);
    }
  });

  it('names the request\'s XML plist too, instead of reading its chain as the vendor certificate', async () => {
    const { plist } = await signedRequest();
    const error = throwsCode(() => readUploadedPushCertificate(plist, {}), 'PUSH_CERT_IS_REQUEST');
    assert.doesNotMatch(error.message, /vendor|mismatch/i);
  });

  it('names a CSR as DER, or Base64 of its DER, as the CSR', async () => {
    const { csr } = await signedRequest();
    for (const input of [csr.der, csr.der.toString('base64')]) {
      const error = throwsCode(() => readUploadedPushCertificate(input, {}), 'PUSH_CERT_MISSING');
      assert.match(error.message, /certificate signing request \(DER\)/);
    }
  });

  it('names an empty upload as empty, as text or bytes, whitespace included', () => {
    for (const input of ['', '  \n', Buffer.alloc(0)]) {
      assert.match(throwsCode(() => readUploadedPushCertificate(input, {}), 'PUSH_CERT_UNREADABLE').message, /The upload is empty/);
    }
  });
});

describe('checkPushCertificateImport', () => {
  it('accepts the certificate Apple issued for the CSR certpush generated', async () => {
    const push = await issued();
    const decision = checkPushCertificateImport({ certificate: push.certificate }, { expectedKeySpki: spkiOf(push.key) });
    const { issuer, ...rest } = decision;
    assert.deepEqual(rest, {
      topic: push.topic,
      notAfter: push.certificate.notAfter,
      environment: 'production',
      findings: [],
      renewal: false,
      topicChanged: false,
    });
    // The test PKI's stand-in for Apple is not Apple (test/mdm/apple-cas.test.ts imports a real one).
    assert.equal(issuer.apple, false);
  });

  it('refuses a certificate issued for a different CSR, and says which certificate to upload', async () => {
    const push = await issued();
    const error = refusal({ certificate: push.certificate }, { expectedKeySpki: spkiOf(generateRsaKey()) });
    assert.deepEqual(error.findings.map((f) => f.code), ['PUSH_CERT_KEY_MISMATCH']);
    assert.match(error.message, /issued for a different CSR.*upload the certificate Apple issued for the CSR certpush generated/);
  });

  it('refuses an upload whose private key does not belong to its certificate', async () => {
    const push = await issued();
    const codes = refusedCodes({ certificate: push.certificate, privateKey: generateRsaKey() }, { expectedKeySpki: spkiOf(push.key) });
    assert.deepEqual(codes, ['PUSH_CERT_KEY_MISMATCH']);
  });

  it('accepts an upload whose private key is the tenant\'s own', async () => {
    const push = await issued();
    const decision = checkPushCertificateImport({ certificate: push.certificate, privateKey: push.key }, { expectedKeySpki: spkiOf(push.key) });
    assert.equal(decision.topic, push.topic);
  });

  it('refuses an app push certificate: its topic is not an MDM topic', async () => {
    const key = generateRsaKey();
    const appCert = await oddCertificate(key, { subject: { UID: 'com.example.app', CN: 'Apple Push Services: com.example.app' }, extendedKeyUsage: ['clientAuth'] });
    const error = refusal({ certificate: appCert }, { expectedKeySpki: spkiOf(key) });
    assert.deepEqual(error.findings.map((f) => f.code), ['PUSH_CERT_NOT_MDM']);
    assert.match(error.message, /topic com\.example\.app, not an MDM topic.*app's push certificate/);
  });

  it('refuses the vendor MDM signing certificate uploaded by mistake', async () => {
    const pki = await testPki();
    const vendorKey = parsePrivateKey(pki.vendor.key);
    const error = refusal({ certificate: parseCertificate(pki.vendor.cert) }, { expectedKeySpki: spkiOf(vendorKey) });
    assert.deepEqual(error.findings.filter((f) => f.severity === 'error').map((f) => f.code), ['PUSH_CERT_NOT_MDM']);
    assert.match(error.message, /vendor MDM signing certificate/);
  });

  it('refuses a certificate without a subject UID', async () => {
    const pki = await testPki();
    const key = generateRsaKey();
    const plain = parseCertificate((await issueTestCertificate(pki.pushCa, { commonName: 'no topic here', extendedKeyUsage: ['clientAuth'], publicKey: key })).cert);
    const error = refusal({ certificate: plain }, { expectedKeySpki: spkiOf(key) });
    assert.deepEqual(error.findings.map((f) => f.code), ['PUSH_CERT_NOT_MDM']);
    assert.match(error.message, /has no subject UID/);
  });

  it('refuses an expired certificate and says to renew it in Apple\'s portal', async () => {
    const push = await issued({ notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 35 * DAY) });
    const error = refusal({ certificate: push.certificate }, { expectedKeySpki: spkiOf(push.key) });
    assert.deepEqual(error.findings.map((f) => f.code), ['PUSH_CERT_EXPIRED']);
    assert.match(error.message, /expired on .*renew it in Apple's Push Certificates Portal/);
  });

  it('refuses a certificate that is not valid yet', async () => {
    const push = await issued({ notBefore: new Date(Date.now() + 2 * DAY) });
    assert.deepEqual(refusedCodes({ certificate: push.certificate }, { expectedKeySpki: spkiOf(push.key) }), ['PUSH_CERT_NOT_YET_VALID']);
  });

  it('judges validity at the given time', async () => {
    const push = await issued();
    const later = new Date(push.certificate.notAfter.getTime() + DAY);
    assert.deepEqual(refusedCodes({ certificate: push.certificate }, { expectedKeySpki: spkiOf(push.key), now: later }), ['PUSH_CERT_EXPIRED']);
  });

  it('warns, but imports, an MDM certificate without clientAuth', async () => {
    const key = generateRsaKey();
    const topic = `${MDM_TOPIC_PREFIX}${crypto.randomUUID()}`;
    const cert = await oddCertificate(key, { subject: { UID: topic, CN: 'APSP:odd' }, extendedKeyUsage: ['serverAuth'] });
    const decision = checkPushCertificateImport({ certificate: cert }, { expectedKeySpki: spkiOf(key) });
    assert.equal(decision.topic, topic);
    assert.deepEqual(decision.findings.map((f) => [f.code, f.severity]), [['PUSH_CERT_NO_CLIENT_AUTH', 'warning']]);
    assert.equal(decision.environment, 'unknown');
  });

  it('lists every error at once', async () => {
    const key = generateRsaKey();
    const expired = parseCertificate((await issueTestCertificate((await testPki()).pushCa, {
      commonName: 'wrong everything', publicKey: key, notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY),
    })).cert);
    const codes = refusedCodes({ certificate: expired }, { expectedKeySpki: spkiOf(generateRsaKey()) });
    assert.deepEqual(codes.sort(), ['PUSH_CERT_EXPIRED', 'PUSH_CERT_KEY_MISMATCH', 'PUSH_CERT_NOT_MDM']);
  });

  it('reports the APNs environments the certificate allows', async () => {
    const key = generateRsaKey();
    const environmentOf = async (environments: Array<'production' | 'development'>) => {
      const push = await issued({ publicKey: key, environments });
      return checkPushCertificateImport({ certificate: push.certificate }, { expectedKeySpki: spkiOf(key) }).environment;
    };
    assert.equal(await environmentOf(['development']), 'development');
    assert.equal(await environmentOf(['production', 'development']), 'both');
    assert.equal(await environmentOf([]), 'unknown');
  });

  describe('on renewal', () => {
    it('accepts a renewed certificate that keeps the topic', async () => {
      const current = await issued();
      const renewed = await issued({ topic: current.topic, notAfter: new Date(Date.now() + 400 * DAY) });
      const decision = checkPushCertificateImport({ certificate: renewed.certificate }, { expectedKeySpki: spkiOf(renewed.key), current: current.certificate });
      assert.equal(decision.renewal, true);
      assert.equal(decision.topicChanged, false);
      assert.equal(decision.topic, current.topic);
      assert.deepEqual(decision.findings, []);
    });

    it('refuses a new topic and explains that enrolled devices would stop answering', async () => {
      const current = await issued();
      const other = await issued({ notAfter: new Date(Date.now() + 400 * DAY) });
      const error = refusal({ certificate: other.certificate }, { expectedKeySpki: spkiOf(other.key), current: current.certificate });
      assert.deepEqual(error.findings.map((f) => f.code), ['PUSH_CERT_TOPIC_CHANGED']);
      const message = error.findings[0]!.message;
      assert.ok(message.includes(`topic ${other.topic} differs from the current ${current.topic}`), message);
      assert.match(message, /every enrolled device would stop answering pushes/);
      assert.match(message, /\(Renew, not Create\) with the same Apple ID, or pass force/);
    });

    it('replaces the topic when forced, with a warning', async () => {
      const current = await issued();
      const other = await issued({ notAfter: new Date(Date.now() + 400 * DAY) });
      const decision = checkPushCertificateImport({ certificate: other.certificate }, { expectedKeySpki: spkiOf(other.key), current: current.certificate, force: true });
      assert.equal(decision.topicChanged, true);
      assert.equal(decision.topic, other.topic);
      assert.deepEqual(decision.findings.map((f) => [f.code, f.severity]), [['PUSH_CERT_TOPIC_REPLACED', 'warning']]);
    });

    it('warns when the new certificate does not expire later than the current one', async () => {
      const current = await issued();
      const decision = checkPushCertificateImport({ certificate: current.certificate }, { expectedKeySpki: spkiOf(current.key), current: current.certificate });
      assert.deepEqual(decision.findings.map((f) => [f.code, f.severity]), [['PUSH_CERT_NOT_NEWER', 'warning']]);
    });
  });
});

describe('MDM_TOPIC_PREFIX', () => {
  it('is the one constant, re-exported by the test PKI', () => {
    assert.equal(MDM_TOPIC_PREFIX, 'com.apple.mgmt.External.');
    assert.equal(TEST_PKI_TOPIC_PREFIX, MDM_TOPIC_PREFIX);
  });
});
