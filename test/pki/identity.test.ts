import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import tls from 'node:tls';
import forge from 'node-forge';
import { parseCertificate, parseCertificates } from '../../src/pki/certificate.ts';
import { type Identity, identityToTls, loadIdentity } from '../../src/pki/identity.ts';
import { privateKeyToPem, parsePrivateKey, spkiOf } from '../../src/pki/key.ts';
import { pemLineProblems } from '../../src/pki/pem.ts';
import { issueTestCertificate, type PemIdentity, type TestPki } from '../../src/simulators/test-pki.ts';
import { throwsCode } from '../fixtures/certpush-error.ts';
import { opensslPkcs12 } from '../fixtures/openssl-pki.ts';
import { tempDir, testPki, writeFiles } from '../fixtures/pki.ts';

const dir = tempDir();
const PASSWORD = 'identity pass';
let pki: TestPki;
/** A TLS client identity under the WWDR intermediate: leaf → wwdr → appleRoot. */
let client: PemIdentity;
let fp: (pem: string) => string;

before(async () => {
  pki = await testPki();
  client = await issueTestCertificate(pki.wwdr, { commonName: 'certpush identity test client', extendedKeyUsage: ['clientAuth'] });
  fp = (pem) => parseCertificate(pem).fingerprintSha256;
});

const fingerprints = (identity: Identity) => identity.chain.map((c) => c.fingerprintSha256);

describe('loadIdentity from PEM', () => {
  it('loads a certificate and its key', () => {
    const identity = loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key });
    assert.equal(identity.certificate.fingerprintSha256, fp(pki.vendor.cert));
    assert.deepEqual(identity.chain, []);
    assert.deepEqual(spkiOf(identity.privateKey), identity.certificate.publicKey.spki);
  });

  it('finds the leaf in a shuffled bundle and orders the rest leaf-side first', () => {
    const identity = loadIdentity({ cert: pki.appleRoot.cert + pki.vendor.cert + pki.wwdr.cert, key: pki.vendor.key });
    assert.equal(identity.certificate.fingerprintSha256, fp(pki.vendor.cert));
    assert.deepEqual(fingerprints(identity), [fp(pki.wwdr.cert), fp(pki.appleRoot.cert)]);
  });

  it('keeps certificates that are not on the path, after the ordered chain', () => {
    const identity = loadIdentity({ cert: pki.serverCa.cert + pki.appleRoot.cert + pki.wwdr.cert + pki.vendor.cert, key: pki.vendor.key });
    assert.deepEqual(fingerprints(identity), [fp(pki.wwdr.cert), fp(pki.appleRoot.cert), fp(pki.serverCa.cert)]);
  });

  it('loads an encrypted key with its passphrase', () => {
    const encrypted = privateKeyToPem(parsePrivateKey(pki.vendor.key), 'vendor secret');
    const identity = loadIdentity({ cert: pki.vendor.cert, key: encrypted, passphrase: 'vendor secret' });
    assert.equal(identity.certificate.fingerprintSha256, fp(pki.vendor.cert));
  });

  it('rejects a key that belongs to another certificate with KEY_MISMATCH', () => {
    const error = throwsCode(() => loadIdentity({ cert: pki.vendor.cert, key: pki.wwdr.key }), 'KEY_MISMATCH');
    assert.match(error.message, /MDM Vendor: certpush test vendor/);
  });
});

describe('loadIdentity from PKCS#12', () => {
  it('loads the default openssl export with a chain and orders the chain', () => {
    const files = writeFiles(dir, { 'client.pem': client.cert, 'client.key': client.key, 'extra.pem': pki.appleRoot.cert + pki.wwdr.cert });
    const p12 = opensslPkcs12(dir, 'client.p12', { certPath: files['client.pem']!, keyPath: files['client.key']!, certfile: files['extra.pem']!, password: PASSWORD });
    const identity = loadIdentity({ pkcs12: p12, password: PASSWORD });
    assert.equal(identity.certificate.fingerprintSha256, fp(client.cert));
    assert.deepEqual(fingerprints(identity), [fp(pki.wwdr.cert), fp(pki.appleRoot.cert)]);
  });

  it('loads the -legacy openssl export', () => {
    const files = writeFiles(dir, { 'vendor.pem': pki.vendor.cert, 'vendor.key': pki.vendor.key });
    const p12 = opensslPkcs12(dir, 'vendor-legacy.p12', { certPath: files['vendor.pem']!, keyPath: files['vendor.key']!, password: PASSWORD, legacy: true });
    assert.equal(loadIdentity({ pkcs12: p12, password: PASSWORD }).certificate.fingerprintSha256, fp(pki.vendor.cert));
  });

  it('rejects a file without a key with P12_NO_KEY', () => {
    const files = writeFiles(dir, { 'nokey.pem': pki.vendor.cert });
    const p12 = opensslPkcs12(dir, 'nokey.p12', { certPath: files['nokey.pem']!, password: PASSWORD });
    throwsCode(() => loadIdentity({ pkcs12: p12, password: PASSWORD }), 'P12_NO_KEY');
  });

  it('rejects a file whose key belongs to none of its certificates with KEY_MISMATCH', () => {
    // openssl refuses to write such a file, so node-forge writes it.
    const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(pki.wwdr.key), [forge.pki.certificateFromPem(pki.vendor.cert)], PASSWORD);
    const p12 = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
    throwsCode(() => loadIdentity({ pkcs12: p12, password: PASSWORD }), 'KEY_MISMATCH');
  });

  it('rejects a file with a key but no certificate with P12_NO_CERT', () => {
    const files = writeFiles(dir, { 'only.key': pki.vendor.key });
    const p12 = opensslPkcs12(dir, 'keyonly.p12', { certPath: files['only.key']!, keyPath: files['only.key']!, password: PASSWORD, extra: ['-nocerts'] });
    throwsCode(() => loadIdentity({ pkcs12: p12, password: PASSWORD }), 'P12_NO_CERT');
  });

  it('passes on a wrong password as P12_WRONG_PASSWORD', () => {
    const files = writeFiles(dir, { 'pw.pem': pki.vendor.cert, 'pw.key': pki.vendor.key });
    const p12 = opensslPkcs12(dir, 'pw.p12', { certPath: files['pw.pem']!, keyPath: files['pw.key']!, password: PASSWORD });
    throwsCode(() => loadIdentity({ pkcs12: p12, password: 'nope' }), 'P12_WRONG_PASSWORD');
  });
});

describe('identityToTls', () => {
  it('writes the leaf first, then the chain, as canonical PEM', () => {
    const tlsPem = identityToTls(loadIdentity({ cert: pki.appleRoot.cert + pki.wwdr.cert + pki.vendor.cert, key: pki.vendor.key }));
    assert.deepEqual(parseCertificates(tlsPem.cert).map((c) => c.fingerprintSha256), [fp(pki.vendor.cert), fp(pki.wwdr.cert), fp(pki.appleRoot.cert)]);
    assert.deepEqual(pemLineProblems(tlsPem.cert + tlsPem.key), []);
  });

  it('is accepted by tls.createSecureContext', () => {
    assert.doesNotThrow(() => tls.createSecureContext(identityToTls(loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }))));
  });

  it('lets a server and a client with intermediates complete a mutually authenticated TLS handshake', async () => {
    const server = tls.createServer({
      ...identityToTls(loadIdentity({ cert: pki.server.cert, key: pki.server.key })),
      ca: pki.appleRoot.cert, // trusts only the root: the client must send its intermediate
      requestCert: true,
      rejectUnauthorized: true,
    }, (socket) => socket.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const clientTls = identityToTls(loadIdentity({ cert: pki.appleRoot.cert + client.cert + pki.wwdr.cert, key: client.key }));
      const received = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.serverCa.cert, ...clientTls }, () => {
          if (!socket.authorized) reject(socket.authorizationError);
        });
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => { data += chunk; });
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      assert.equal(received, 'hello');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
