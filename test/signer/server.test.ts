import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { FindingsError, verifyPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { type Certificate, parseCertificate } from '../../src/pki/certificate.ts';
import { issueCertificate } from '../../src/pki/issue.ts';
import { generateRsaKey, parsePrivateKey } from '../../src/pki/key.ts';
import { pemOrDer } from '../../src/pki/pem.ts';
import { SIGNER_BODY_LIMIT } from '../../src/signer/protocol.ts';
import { startSignerServer } from '../../src/signer/server.ts';
import { rejectsCode } from '../fixtures/certpush-error.ts';
import { tempDir, testPki, writeFiles } from '../fixtures/pki.ts';
import { call, customerCsr, signerIdentity, startTestSigner, type TestSigner } from './signer-fixture.ts';

const DAY = 86_400_000;

describe('signer server over HTTP', () => {
  let signer: TestSigner;
  let url: string;
  let root: Certificate;
  before(async () => {
    signer = await startTestSigner();
    url = signer.server.url;
    root = parseCertificate(signer.pki.appleRoot.cert);
  });
  after(() => signer.server.close());
  /** POST /v1/sign with the signer's token, another token, or none (null). */
  const sign = (body: string | Buffer, token?: string | null) =>
    call(url, { method: 'POST', path: '/v1/sign', token: token === undefined ? signer.token : token ?? undefined, body, headers: { 'content-type': 'application/json' } });

  it('listens on 127.0.0.1 and reports the real port in its URL', () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(url).port, '0');
  });

  it('signs a PEM CSR into a request that verifies as Apple would', async () => {
    const csr = await customerCsr();
    const answer = await sign(JSON.stringify({ csr }));
    assert.equal(answer.status, 200, answer.text);
    const body = answer.json() as { request: string; csrSubject: string; warnings: unknown[]; vendorCertificate: { subject: string; notAfter: string; daysLeft: number } };
    const report = await verifyPushCertRequest(body.request, { root });
    assert.equal(report.valid, true, JSON.stringify(report.findings));
    assert.deepEqual(report.csr?.der, pemOrDer(csr, ['CERTIFICATE REQUEST'], 'a CSR'));
    assert.equal(body.csrSubject, 'CN=Customer One, O=Acme, C=US');
    assert.deepEqual(body.warnings, []);
    assert.match(body.vendorCertificate.subject, /MDM Vendor: certpush test vendor/);
    assert.ok(body.vendorCertificate.daysLeft > 300);
    assert.equal(new Date(body.vendorCertificate.notAfter).toISOString(), body.vendorCertificate.notAfter);
  });

  it('signs a CSR given as Base64 of its DER', async () => {
    const der = pemOrDer(await customerCsr(), ['CERTIFICATE REQUEST'], 'a CSR');
    const answer = await sign(JSON.stringify({ csr: der.toString('base64') }));
    assert.equal(answer.status, 200, answer.text);
    const report = await verifyPushCertRequest(answer.json().request as string, { root });
    assert.deepEqual(report.csr?.der, der);
  });

  it('answers 401 problem+json without a token', async () => {
    const answer = await sign(JSON.stringify({ csr: await customerCsr() }), null);
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['content-type'], 'application/problem+json');
    assert.equal(answer.headers['www-authenticate'], 'Bearer');
    assert.deepEqual({ ...answer.json(), detail: undefined }, { type: 'about:blank', title: 'Unauthorized', status: 401, code: 'SIGNER_AUTH', detail: undefined });
  });

  it('answers 401 with a wrong token', async () => {
    // The token with its last character changed (a random token may already end in "0").
    const wrong = `${signer.token.slice(0, -1)}${signer.token.endsWith('0') ? '1' : '0'}`;
    const answer = await sign(JSON.stringify({ csr: 'x' }), wrong);
    assert.equal(answer.status, 401);
    assert.equal(answer.json().code, 'SIGNER_AUTH');
  });

  it('answers 401 to a token sent without the Bearer scheme', async () => {
    const answer = await call(url, { path: '/v1/vendor-certificate', headers: { authorization: signer.token } });
    assert.equal(answer.status, 401);
  });

  it('refuses a 1024-bit CSR with 422 and the findings', async () => {
    const answer = await sign(JSON.stringify({ csr: await customerCsr(1024) }));
    assert.equal(answer.status, 422, answer.text);
    const problem = answer.json() as { code: string; detail: string; findings: Array<{ code: string; severity: string; message: string }> };
    assert.equal(problem.code, 'REQUEST_SIGN_REFUSED');
    assert.deepEqual(problem.findings.filter((f) => f.severity === 'error').map((f) => f.code), ['CSR_KEY_SIZE']);
    assert.match(problem.detail, /1024 bits; Apple's portal needs 2048/);
  });

  it('refuses with 422 a csr that is not a CSR', async () => {
    const answer = await sign(JSON.stringify({ csr: signer.pki.vendor.cert }));
    assert.equal(answer.status, 422);
    assert.equal(answer.json().code, 'PEM_WRONG_TYPE');
  });

  it('answers 400 to a body that is not JSON', async () => {
    const answer = await sign('{"csr": ');
    assert.equal(answer.status, 400);
    assert.equal(answer.json().code, 'SIGNER_BAD_JSON');
  });

  it('answers 400 to JSON without a csr string', async () => {
    for (const body of ['[]', 'null', '{"csr": 5}', '{"csr": ""}', '{"CSR": "x"}']) {
      const answer = await sign(body);
      assert.equal(answer.status, 400, body);
      assert.equal(answer.json().code, 'SIGNER_BAD_REQUEST', body);
    }
  });

  it('answers 400 to a csr that is neither PEM nor Base64', async () => {
    const answer = await sign(JSON.stringify({ csr: 'not base64 at all!' }));
    assert.equal(answer.status, 400);
    assert.equal(answer.json().code, 'SIGNER_BAD_REQUEST');
  });

  it('answers 413 to a body over 64 KB', async () => {
    const answer = await sign(JSON.stringify({ csr: 'A'.repeat(SIGNER_BODY_LIMIT + 1000) }));
    assert.equal(answer.status, 413);
    assert.equal(answer.json().code, 'SIGNER_BODY_TOO_LARGE');
  });

  it('answers 413 to a body declared far over the limit without reading it', async () => {
    // Only the headers are sent: the signer must answer from the declared length alone.
    const answer = await call(url, { method: 'POST', path: '/v1/sign', token: signer.token, headers: { 'content-length': String(50 * 1024 * 1024) }, body: Buffer.alloc(0) });
    assert.equal(answer.status, 413);
    assert.equal((await call(url, { path: '/healthz' })).status, 200, 'the signer keeps serving');
  });

  it('tells the vendor certificate\'s subject and expiry', async () => {
    const answer = await call(url, { path: '/v1/vendor-certificate', token: signer.token });
    assert.equal(answer.status, 200);
    const vendor = parseCertificate(signer.pki.vendor.cert);
    const body = answer.json();
    assert.equal(body.subject, vendor.subject.text);
    assert.equal(body.notAfter, vendor.notAfter.toISOString());
    assert.ok((body.daysLeft as number) > 300);
  });

  it('answers /healthz without a token', async () => {
    const answer = await call(url, { path: '/healthz' });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json(), { status: 'ok' });
  });

  it('answers 404 to an unknown path and 405 to a wrong method', async () => {
    const missing = await call(url, { path: '/v1/tenants', token: signer.token });
    assert.equal(missing.status, 404);
    assert.equal(missing.json().code, 'SIGNER_NOT_FOUND');
    const wrong = await call(url, { path: '/v1/sign', token: signer.token });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'POST');
    assert.equal(wrong.json().code, 'SIGNER_METHOD_NOT_ALLOWED');
  });

  it('answers 401, not 404, to unknown paths without the token', async () => {
    assert.equal((await call(url, { path: '/v1/tenants' })).status, 401);
  });

  it('logs one line per request with method, path, status and time, never the CSR or the token', async () => {
    const csr = await customerCsr();
    signer.logs.length = 0;
    await sign(JSON.stringify({ csr }));
    await sign('{', 'not-the-token');
    await waitFor(() => signer.logs.length >= 2);
    assert.equal(signer.logs.length, 2);
    assert.match(signer.logs[0]!, /^\S+Z signer POST \/v1\/sign 200 \d+ms$/);
    assert.match(signer.logs[1]!, /^\S+Z signer POST \/v1\/sign 401 \d+ms$/);
    const all = signer.logs.join('\n');
    assert.ok(!all.includes(signer.token) && !all.includes('not-the-token') && !all.includes(csr.split('\n')[1]!));
  });
});

describe('signer server over HTTPS', () => {
  let signer: TestSigner;
  before(async () => { signer = await startTestSigner({ tls: true }); });
  after(() => signer.server.close());

  it('signs for a client that trusts the test server CA', async () => {
    const answer = await call(signer.server.url, { method: 'POST', path: '/v1/sign', token: signer.token, ca: signer.pki.serverCa.cert, body: JSON.stringify({ csr: await customerCsr() }) });
    assert.equal(answer.status, 200, answer.text);
    const report = await verifyPushCertRequest(answer.json().request as string, { root: parseCertificate(signer.pki.appleRoot.cert) });
    assert.equal(report.valid, true);
  });

  it('is not trusted by a client without the CA', async () => {
    await assert.rejects(call(signer.server.url, { path: '/healthz' }), /self-signed|unable to verify|SELF_SIGNED/i);
  });

  it('answers curl, which sends the JSON as a form post, with the request', async () => {
    const dir = tempDir();
    const files = writeFiles(dir, { 'csr.json': JSON.stringify({ csr: await customerCsr() }), 'ca.pem': signer.pki.serverCa.cert });
    // Asynchronously: the signer answers from this very process.
    const { stdout } = await promisify(execFile)('curl', ['-sS', '--max-time', '60', '--cacert', files['ca.pem']!, '-H', `Authorization: Bearer ${signer.token}`, '--data', `@${path.basename(files['csr.json']!)}`, `${signer.server.url}/v1/sign`], { cwd: dir, encoding: 'utf8' });
    const body = JSON.parse(stdout) as { request: string };
    const report = await verifyPushCertRequest(body.request, { root: parseCertificate(signer.pki.appleRoot.cert) });
    assert.equal(report.valid, true, JSON.stringify(report.findings));
  });
});

describe('signer server start', () => {
  it('refuses to start when the intermediate did not issue the vendor certificate', async () => {
    const pki = await testPki();
    const identity = { ...(await signerIdentity()), intermediate: parseCertificate(pki.pushCa.cert) };
    const error = await rejectsCode(() => startSignerServer({ ...identity, token: 'a'.repeat(32), port: 0 }), 'SIGNER_IDENTITY_INVALID');
    assert.ok(error instanceof FindingsError);
    assert.ok(error.findings.some((f) => f.code === 'CHAIN_INCOMPLETE'), JSON.stringify(error.findings));
    assert.match(error.findings[0]!.message, /vendor MDM signing certificate/);
  });

  it('refuses to start with a vendor key that is not the certificate\'s', async () => {
    const identity = await signerIdentity();
    const error = await rejectsCode(() => startSignerServer({ ...identity, vendor: { ...identity.vendor, privateKey: generateRsaKey() }, token: 'a'.repeat(32), port: 0 }), 'SIGNER_IDENTITY_INVALID');
    assert.ok(error instanceof FindingsError && error.findings.some((f) => f.code === 'VENDOR_KEY_MISMATCH'));
  });

  it('refuses to start with an expired vendor certificate', async () => {
    const identity = await identityValid(new Date(Date.now() - 30 * DAY), new Date(Date.now() - DAY));
    const error = await rejectsCode(() => startSignerServer({ ...identity, token: 'a'.repeat(32), port: 0 }), 'SIGNER_IDENTITY_INVALID');
    assert.match(error.message, /vendor MDM signing certificate .* expired on/);
  });

  it('refuses a token shorter than 16 characters', async () => {
    await rejectsCode(async () => startSignerServer({ ...(await signerIdentity()), token: 'short', port: 0 }), 'SIGNER_TOKEN_WEAK');
  });

  it('warns when the vendor certificate expires within 30 days', async () => {
    const identity = await identityValid(new Date(Date.now() - DAY), new Date(Date.now() + 10 * DAY));
    const server = await startSignerServer({ ...identity, token: 'a'.repeat(32), port: 0, log: () => {} });
    try {
      assert.deepEqual(server.warnings.map((w) => w.code), ['VENDOR_CERT_EXPIRING']);
    } finally {
      await server.close();
    }
  });

  it('says which port is taken when it cannot listen', async () => {
    const first = await startSignerServer({ ...(await signerIdentity()), token: 'a'.repeat(32), port: 0, log: () => {} });
    try {
      const port = Number(new URL(first.url).port);
      const error = await rejectsCode(async () => startSignerServer({ ...(await signerIdentity()), token: 'a'.repeat(32), port }), 'SIGNER_LISTEN');
      assert.match(error.message, /EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});

/** The test signer identity with its vendor certificate reissued (same key, same WWDR) for other dates. */
async function identityValid(notBefore: Date, notAfter: Date) {
  const pki = await testPki();
  const identity = await signerIdentity();
  const certificate = await issueCertificate({
    subject: { CN: 'MDM Vendor: certpush test vendor, other dates' },
    publicKey: identity.vendor.privateKey,
    issuer: { certificate: identity.intermediate!, privateKey: parsePrivateKey(pki.wwdr.key) },
    notBefore,
    notAfter,
  });
  return { ...identity, vendor: { ...identity.vendor, certificate } };
}

/** The log line is written when the connection's response closes, just after the client has its answer. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}
