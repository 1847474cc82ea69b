import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FindingsError, verifyPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { createSignerClient } from '../../src/signer/client.ts';
import { rejectsCode, throwsCode } from '../fixtures/certpush-error.ts';
import { customerCsr, startTestSigner, type TestSigner } from './signer-fixture.ts';

/** Listen on a free loopback port with `server`; returns its base URL and closes it after the file. */
async function listening(server: net.Server, scheme = 'http'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('signer client', () => {
  let http1: TestSigner;
  let tls: TestSigner;
  before(async () => {
    http1 = await startTestSigner();
    tls = await startTestSigner({ tls: true });
  });
  after(async () => {
    await http1.server.close();
    await tls.server.close();
  });

  it('gets a request for Apple\'s portal from an HTTPS signer trusted through ca', async () => {
    const client = createSignerClient({ url: tls.server.url, token: tls.token, ca: tls.pki.serverCa.cert });
    const signed = await client.sign(await customerCsr());
    const report = await verifyPushCertRequest(signed.request, { root: parseCertificate(tls.pki.appleRoot.cert) });
    assert.equal(report.valid, true, JSON.stringify(report.findings));
    assert.equal(signed.csrSubject, 'CN=Customer One, O=Acme, C=US');
    assert.deepEqual(signed.warnings, []);
  });

  it('reads the vendor certificate\'s expiry', async () => {
    const client = createSignerClient({ url: http1.server.url, token: http1.token });
    const status = await client.vendorCertificate();
    assert.equal(status.notAfter, parseCertificate(http1.pki.vendor.cert).notAfter.toISOString());
    assert.ok(status.daysLeft > 300);
  });

  it('keeps a path prefix of the signer URL', async () => {
    const seen: string[] = [];
    const url = await listening(http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"subject":"x","notAfter":"2030-01-01T00:00:00.000Z","daysLeft":1}');
    }));
    await createSignerClient({ url: `${url}/certpush-signer`, token: 'x'.repeat(32) }).vendorCertificate();
    assert.deepEqual(seen, ['/certpush-signer/v1/vendor-certificate']);
  });

  it('says the signer is unreachable, naming the URL and what to check', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const error = await rejectsCode(() => createSignerClient({ url, token: 'x'.repeat(32) }).sign('csr'), 'SIGNER_UNREACHABLE');
    assert.ok(error.message.includes(url), error.message);
    assert.match(error.message, /ECONNREFUSED.*check --signer-url and that certpush signer serve is running/);
  });

  it('says the token was rejected', async () => {
    const error = await rejectsCode(() => createSignerClient({ url: http1.server.url, token: 'y'.repeat(32) }).sign('csr'), 'SIGNER_TOKEN_REJECTED');
    assert.match(error.message, /rejected the token: check CERTPUSH_SIGNER_TOKEN/);
  });

  it('passes on the signer\'s findings when it refuses the CSR', async () => {
    const error = await rejectsCode(async () => createSignerClient({ url: http1.server.url, token: http1.token }).sign(await customerCsr(1024)), 'SIGNER_REFUSED');
    assert.ok(error instanceof FindingsError);
    assert.deepEqual(error.findings.filter((f) => f.severity === 'error').map((f) => f.code), ['CSR_KEY_SIZE']);
  });

  it('turns a refusal without findings into one finding with the signer\'s code', async () => {
    const error = await rejectsCode(() => createSignerClient({ url: http1.server.url, token: http1.token }).sign(http1.pki.vendor.cert), 'SIGNER_REFUSED');
    assert.ok(error instanceof FindingsError);
    assert.deepEqual(error.findings.map((f) => f.code), ['PEM_WRONG_TYPE']);
  });

  it('does not trust an HTTPS signer whose CA it was not given', async () => {
    const error = await rejectsCode(() => createSignerClient({ url: tls.server.url, token: tls.token }).vendorCertificate(), 'SIGNER_TLS');
    assert.match(error.message, /does not trust/);
  });

  it('gives up on a signer that accepts the connection but never answers', async () => {
    // Reads (so it sees the client hang up) but never answers.
    const silent = net.createServer((socket) => socket.resume());
    const url = await listening(silent);
    const error = await rejectsCode(() => createSignerClient({ url, token: 'x'.repeat(32), timeoutMs: 200 }).sign('csr'), 'SIGNER_TIMEOUT');
    assert.match(error.message, /did not answer within 0.2 s/);
  });

  it('says when the URL points at something that is not a signer', async () => {
    const url = await listening(http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>')));
    const error = await rejectsCode(() => createSignerClient({ url, token: 'x'.repeat(32) }).vendorCertificate(), 'SIGNER_ERROR');
    assert.match(error.message, /not a certpush signer.*Check --signer-url/);
  });

  it('reports other error answers with the signer\'s code and detail', async () => {
    const url = await listening(http.createServer((_req, res) => res.writeHead(500, { 'content-type': 'application/problem+json' }).end('{"status":500,"code":"SIGNER_INTERNAL","detail":"boom"}')));
    const error = await rejectsCode(() => createSignerClient({ url, token: 'x'.repeat(32) }).vendorCertificate(), 'SIGNER_ERROR');
    assert.match(error.message, /answered 500 \[SIGNER_INTERNAL\]: boom/);
  });

  it('refuses a URL that is not http or https', () => {
    throwsCode(() => createSignerClient({ url: 'ftp://signer', token: 'x' }), 'SIGNER_URL');
    throwsCode(() => createSignerClient({ url: 'signer:8444', token: 'x' }), 'SIGNER_URL');
    throwsCode(() => createSignerClient({ url: 'not a url', token: 'x' }), 'SIGNER_URL');
  });
});
