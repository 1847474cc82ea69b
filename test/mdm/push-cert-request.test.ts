import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { FindingsError, signPushCertRequest, verifyPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { buildRequestPlist, encodeRequest } from '../../src/mdm/request-plist.ts';
import { type Certificate, certificateToPem, parseCertificate } from '../../src/pki/certificate.ts';
import { createCsr } from '../../src/pki/csr.ts';
import { type Identity, loadIdentity } from '../../src/pki/identity.ts';
import { issueCertificate } from '../../src/pki/issue.ts';
import { generateRsaKey, parsePrivateKey } from '../../src/pki/key.ts';
import { toPem } from '../../src/pki/pem.ts';
import type { TestPki } from '../../src/simulators/test-pki.ts';
import { openssl, tempDir, testPki, writeFiles } from '../fixtures/pki.ts';

interface Setup {
  pki: TestPki;
  vendor: Identity;
  wwdr: Certificate;
  root: Certificate;
  csrDer: Buffer;
}

async function setup(): Promise<Setup> {
  const pki = await testPki();
  const csr = await createCsr(generateRsaKey(), { CN: 'Customer One', O: 'Acme', C: 'US', emailAddress: 'it@acme.test' });
  return {
    pki,
    vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }),
    wwdr: parseCertificate(pki.wwdr.cert),
    root: parseCertificate(pki.appleRoot.cert),
    csrDer: csr.der,
  };
}

/** A request assembled by hand, to model how other tools get it wrong. */
function handmade(s: Setup, parts: { csr?: Buffer; chain?: string; signature?: Buffer }): string {
  const csr = parts.csr ?? s.csrDer;
  return encodeRequest(buildRequestPlist({
    PushCertRequestCSR: csr.toString('base64'),
    PushCertCertificateChain: parts.chain ?? [s.vendor.certificate, s.wwdr, s.root].map(certificateToPem).join(''),
    PushCertSignature: (parts.signature ?? crypto.sign('sha256', csr, s.vendor.privateKey)).toString('base64'),
  }));
}

async function codesOf(request: string | Buffer, root: Certificate): Promise<string[]> {
  const report = await verifyPushCertRequest(request, { root });
  return report.findings.filter((f) => f.severity === 'error').map((f) => f.code);
}

async function refusal(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FindingsError, `expected a FindingsError, got ${error}`);
    return error.findings.filter((f) => f.severity === 'error').map((f) => f.code);
  }
  assert.fail('expected the signing to be refused');
}

describe('signPushCertRequest', () => {
  it('produces a request that verifies, with the CSR DER, the three-certificate chain and a signature', async () => {
    const s = await setup();
    const signed = await signPushCertRequest({ csr: toPem('CERTIFICATE REQUEST', s.csrDer), vendor: s.vendor, intermediate: s.wwdr, root: s.root });
    const report = await verifyPushCertRequest(signed.request, { root: s.root });
    assert.equal(report.valid, true, JSON.stringify(report.findings));
    assert.deepEqual(report.csr?.der, s.csrDer);
    assert.deepEqual(report.chain.map((c) => c.fingerprintSha256), [s.vendor.certificate, s.wwdr, s.root].map((c) => c.fingerprintSha256));
  });

  it('accepts the CSR as DER as well as PEM', async () => {
    const s = await setup();
    const signed = await signPushCertRequest({ csr: s.csrDer, vendor: s.vendor, intermediate: s.wwdr, root: s.root });
    assert.deepEqual(signed.csr.der, s.csrDer);
  });

  it('writes the CSR as Base64 on one line and the chain as 64-character PEM lines', async () => {
    const s = await setup();
    const { plist } = await signPushCertRequest({ csr: s.csrDer, vendor: s.vendor, intermediate: s.wwdr, root: s.root });
    const csrValue = /<key>PushCertRequestCSR<\/key>\s*<string>([^<]*)<\/string>/.exec(plist)?.[1];
    assert.equal(csrValue, s.csrDer.toString('base64'));
    const chain = /<key>PushCertCertificateChain<\/key>\s*<string>([^<]*)<\/string>/.exec(plist)?.[1] ?? '';
    const bodyLines = chain.split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const [i, line] of bodyLines.entries()) {
      const lastOfBlock = chain.split('\n')[chain.split('\n').indexOf(line) + 1]?.startsWith('-----END');
      if (lastOfBlock) assert.ok(line.length <= 64, `line ${i} too long`);
      else assert.equal(line.length, 64, `line ${i}`);
    }
    assert.equal(chain.match(/-----BEGIN CERTIFICATE-----/g)?.length, 3);
  });

  it('is accepted by openssl dgst -sha256 -verify over the CSR DER, by plistlib, and openssl verify accepts the chain', async () => {
    const s = await setup();
    const signed = await signPushCertRequest({ csr: s.csrDer, vendor: s.vendor, intermediate: s.wwdr, root: s.root });
    const dir = tempDir();
    const files = writeFiles(dir, {
      'csr.der': s.csrDer,
      'sig.bin': signed.signature,
      'vendor-pub.pem': crypto.createPublicKey(s.vendor.privateKey).export({ format: 'pem', type: 'spki' }),
      'req.b64': signed.request,
    });
    assert.match(openssl(['dgst', '-sha256', '-verify', files['vendor-pub.pem']!, '-signature', files['sig.bin']!, files['csr.der']!]), /Verified OK/);

    const script = [
      'import base64, plistlib, sys',
      'd = plistlib.loads(base64.b64decode(open(sys.argv[1]).read()))',
      'print(sorted(d.keys()))',
      'open(sys.argv[2] + "/chain.pem", "w").write(d["PushCertCertificateChain"])',
      'open(sys.argv[2] + "/csr-from-plist.der", "wb").write(base64.b64decode(d["PushCertRequestCSR"]))',
    ].join('\n');
    const out = execFileSync('python3', ['-c', script, files['req.b64']!, dir], { encoding: 'utf8' });
    assert.equal(out.trim(), "['PushCertCertificateChain', 'PushCertRequestCSR', 'PushCertSignature']");
    assert.match(openssl(['req', '-inform', 'DER', '-in', `${dir}/csr-from-plist.der`, '-noout', '-verify'], {}), /^$|OK/);

    const chain = openssl(['crl2pkcs7', '-nocrl', '-certfile', `${dir}/chain.pem`]);
    const certs = openssl(['pkcs7', '-print_certs'], { input: chain }).split(/(?=subject=)/).filter((b) => b.includes('BEGIN'));
    const written = writeFiles(dir, { 'leaf.pem': certs[0]!, 'inter.pem': certs[1]!, 'root.pem': certs[2]! });
    assert.match(openssl(['verify', '-CAfile', written['root.pem']!, '-untrusted', written['inter.pem']!, written['leaf.pem']!]), /OK/);
  });

  it('signs a CSR made by openssl req', async () => {
    const s = await setup();
    const dir = tempDir();
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/k.pem`, '-out', `${dir}/c.csr`, '-subj', '/CN=From OpenSSL/O=Acme/C=DE'], {});
    const { readFileSync } = await import('node:fs');
    const signed = await signPushCertRequest({ csr: readFileSync(`${dir}/c.csr`), vendor: s.vendor, intermediate: s.wwdr, root: s.root });
    assert.equal(signed.csr.subject.text, 'CN=From OpenSSL, O=Acme, C=DE');
  });

  it('signs a SHA-1 CSR made by openssl req -sha1 with a CSR_SIGNATURE_SHA1 warning, which verify also reports without making it invalid', async () => {
    const s = await setup();
    const dir = tempDir();
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha1', '-keyout', `${dir}/k.pem`, '-out', `${dir}/c.csr`, '-subj', '/CN=Old Tool'], {});
    const { readFileSync } = await import('node:fs');
    const signed = await signPushCertRequest({ csr: readFileSync(`${dir}/c.csr`), vendor: s.vendor, intermediate: s.wwdr, root: s.root });
    assert.deepEqual(signed.warnings.map((w) => w.code), ['CSR_SIGNATURE_SHA1']);
    const report = await verifyPushCertRequest(signed.request, { root: s.root });
    assert.equal(report.valid, true);
    assert.deepEqual(report.findings.map((f) => [f.code, f.severity]), [['CSR_SIGNATURE_SHA1', 'warning']]);
  });

  it('has no warning for a SHA-256 CSR', async () => {
    const s = await setup();
    const signed = await signPushCertRequest({ csr: s.csrDer, vendor: s.vendor, intermediate: s.wwdr, root: s.root });
    assert.deepEqual(signed.warnings, []);
  });

  it('refuses a CSR with a 1024-bit key', async () => {
    const s = await setup();
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weak = await createCsr(privateKey, { CN: 'weak' });
    assert.deepEqual(await refusal(signPushCertRequest({ csr: weak.der, vendor: s.vendor, intermediate: s.wwdr, root: s.root })), ['CSR_KEY_SIZE']);
  });

  it('refuses a CSR whose self-signature is broken', async () => {
    const s = await setup();
    const broken = Buffer.from(s.csrDer);
    broken[broken.length - 1]! ^= 0xff;
    assert.deepEqual(await refusal(signPushCertRequest({ csr: broken, vendor: s.vendor, intermediate: s.wwdr, root: s.root })), ['CSR_BAD_SIGNATURE']);
  });

  it('refuses an expired vendor certificate', async () => {
    const s = await setup();
    const wwdrIssuer = { certificate: s.wwdr, privateKey: parsePrivateKey(s.pki.wwdr.key) };
    const key = generateRsaKey();
    const expired = await issueCertificate({ subject: { CN: 'MDM Vendor: expired' }, publicKey: key, issuer: wwdrIssuer, notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    const vendor = { certificate: expired, chain: [], privateKey: key };
    assert.deepEqual(await refusal(signPushCertRequest({ csr: s.csrDer, vendor, intermediate: s.wwdr, root: s.root })), ['CERT_EXPIRED']);
  });

  it('warns when the vendor certificate expires within 30 days', async () => {
    const s = await setup();
    const wwdrIssuer = { certificate: s.wwdr, privateKey: parsePrivateKey(s.pki.wwdr.key) };
    const key = generateRsaKey();
    const soon = await issueCertificate({ subject: { CN: 'MDM Vendor: soon' }, publicKey: key, issuer: wwdrIssuer, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 10 * 86_400_000) });
    const signed = await signPushCertRequest({ csr: s.csrDer, vendor: { certificate: soon, chain: [], privateKey: key }, intermediate: s.wwdr, root: s.root });
    assert.deepEqual(signed.warnings.map((w) => w.code), ['VENDOR_CERT_EXPIRING']);
    assert.equal(signed.vendorCertificate.daysLeft, 9);
  });

  it('refuses a vendor key that does not match the vendor certificate', async () => {
    const s = await setup();
    const vendor = { ...s.vendor, privateKey: generateRsaKey() };
    assert.deepEqual(await refusal(signPushCertRequest({ csr: s.csrDer, vendor, intermediate: s.wwdr, root: s.root })), ['VENDOR_KEY_MISMATCH']);
  });

  it('refuses when the intermediate given is not the one that issued the vendor certificate', async () => {
    const s = await setup();
    const wrongIntermediate = parseCertificate(s.pki.pushCa.cert);
    assert.deepEqual(await refusal(signPushCertRequest({ csr: s.csrDer, vendor: s.vendor, intermediate: wrongIntermediate, root: s.root })), ['CHAIN_INCOMPLETE']);
  });

  it('refuses when the root given is not the chain\'s root', async () => {
    const s = await setup();
    const otherRoot = parseCertificate(s.pki.serverCa.cert);
    const codes = await refusal(signPushCertRequest({ csr: s.csrDer, vendor: s.vendor, intermediate: s.wwdr, root: otherRoot }));
    assert.ok(codes.includes('CHAIN_INCOMPLETE') || codes.includes('CHAIN_UNTRUSTED_ROOT'), codes.join());
  });

  it('lists every problem at once in its error message', async () => {
    const s = await setup();
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weak = await createCsr(privateKey, { CN: 'weak' });
    const vendor = { ...s.vendor, privateKey: generateRsaKey() };
    await assert.rejects(signPushCertRequest({ csr: weak.der, vendor, intermediate: s.wwdr, root: s.root }), (e: Error) => {
      assert.match(e.message, /1024 bits/);
      assert.match(e.message, /does not belong to the vendor certificate/);
      return true;
    });
  });
});

describe('verifyPushCertRequest', () => {
  it('accepts a correct hand-assembled request', async () => {
    const s = await setup();
    assert.deepEqual(await codesOf(handmade(s, {}), s.root), []);
  });

  it('reports garbage Base64', async () => {
    const s = await setup();
    assert.deepEqual(await codesOf('this is not base64!!', s.root), ['REQUEST_BAD_BASE64']);
  });

  it('reports Base64 that is not a plist', async () => {
    const s = await setup();
    assert.deepEqual(await codesOf(Buffer.from('hello, world').toString('base64'), s.root), ['REQUEST_NOT_PLIST']);
  });

  it('calls a truncated request truncated, naming the elements left open rather than the XML parser\'s internals', async () => {
    const s = await setup();
    const whole = Buffer.from(handmade(s, {}), 'base64').toString('utf8');
    // Cut inside the CSR's Base64, as a partial copy of request.b64 would.
    const cut = Buffer.from(whole.slice(0, whole.indexOf('<string>', whole.indexOf('PushCertRequestCSR')) + 100)).toString('base64');
    const report = await verifyPushCertRequest(cut, { root: s.root });
    const finding = report.findings.find((f) => f.code === 'REQUEST_NOT_PLIST');
    assert.ok(finding, JSON.stringify(report.findings));
    assert.match(finding.message, /ends early: <plist>, <dict>, .* never closed/);
    assert.match(finding.message, /truncated/);
    assert.doesNotMatch(finding.message, /Invalid '\[/);
  });

  it('reports a plist that is not a dictionary', async () => {
    const s = await setup();
    const xml = '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><array><string>x</string></array></plist>';
    assert.deepEqual(await codesOf(encodeRequest(xml), s.root), ['REQUEST_NOT_PLIST']);
  });

  it('reports each missing key', async () => {
    const s = await setup();
    const xml = '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>PushCertSignature</key><string>AAAA</string></dict></plist>';
    assert.deepEqual(await codesOf(encodeRequest(xml), s.root), ['REQUEST_MISSING_KEY', 'REQUEST_MISSING_KEY']);
  });

  it('reports a bare XML plist that was not Base64-encoded', async () => {
    const s = await setup();
    const xml = Buffer.from(handmade(s, {}), 'base64').toString('utf8');
    assert.deepEqual(await codesOf(xml, s.root), ['REQUEST_NOT_BASE64']);
  });

  it('reports a CSR value that is not a CSR', async () => {
    const s = await setup();
    const codes = await codesOf(handmade(s, { csr: Buffer.from('not a csr at all') }), s.root);
    assert.ok(codes.includes('CSR_UNPARSABLE'), codes.join());
  });

  it('reports a chain missing the intermediate', async () => {
    const s = await setup();
    const chain = [s.vendor.certificate, s.root].map(certificateToPem).join('');
    assert.deepEqual(await codesOf(handmade(s, { chain }), s.root), ['CHAIN_INCOMPLETE', 'CHAIN_INCOMPLETE']);
  });

  it('reports a chain in the wrong order', async () => {
    const s = await setup();
    const chain = [s.wwdr, s.vendor.certificate, s.root].map(certificateToPem).join('');
    const codes = await codesOf(handmade(s, { chain }), s.root);
    assert.ok(codes.includes('CHAIN_WRONG_ORDER'), codes.join());
  });

  it('reports a chain that ends at another root', async () => {
    const s = await setup();
    const otherRoot = parseCertificate(s.pki.serverCa.cert);
    const chain = [s.vendor.certificate, s.wwdr, otherRoot].map(certificateToPem).join('');
    const codes = await codesOf(handmade(s, { chain }), s.root);
    assert.ok(codes.includes('CHAIN_INCOMPLETE') || codes.includes('CHAIN_UNTRUSTED_ROOT'), codes.join());
  });

  it('reports PEM lines that are not 64 characters', async () => {
    const s = await setup();
    const wrapped76 = (der: Buffer) => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{76}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
    const chain = [s.vendor.certificate, s.wwdr, s.root].map((c) => wrapped76(c.der)).join('');
    const codes = await codesOf(handmade(s, { chain }), s.root);
    assert.ok(codes.length > 0 && codes.every((c) => c === 'CHAIN_PEM_LINE_LENGTH'), codes.join());
  });

  it('reports a chain containing a private key block', async () => {
    const s = await setup();
    const chain = [s.vendor.certificate, s.wwdr, s.root].map(certificateToPem).join('') + s.pki.vendor.key;
    assert.ok((await codesOf(handmade(s, { chain }), s.root)).includes('CHAIN_WRONG_BLOCK'));
  });

  it('reports a signature that is not Base64', async () => {
    const s = await setup();
    const request = encodeRequest(buildRequestPlist({
      PushCertRequestCSR: s.csrDer.toString('base64'),
      PushCertCertificateChain: [s.vendor.certificate, s.wwdr, s.root].map(certificateToPem).join(''),
      PushCertSignature: '%%% not base64 %%%',
    }));
    assert.deepEqual(await codesOf(request, s.root), ['SIGNATURE_BAD_BASE64']);
  });

  it('explains a signature made with SHA-1', async () => {
    const s = await setup();
    const signature = crypto.sign('sha1', s.csrDer, s.vendor.privateKey);
    assert.deepEqual(await codesOf(handmade(s, { signature }), s.root), ['SIGNATURE_SHA1']);
  });

  it('explains a signature over the CSR\'s PEM text instead of its DER', async () => {
    const s = await setup();
    const signature = crypto.sign('sha256', Buffer.from(toPem('CERTIFICATE REQUEST', s.csrDer)), s.vendor.privateKey);
    assert.deepEqual(await codesOf(handmade(s, { signature }), s.root), ['SIGNATURE_OVER_PEM']);
  });

  it('reports a signature by a key other than the vendor certificate\'s', async () => {
    const s = await setup();
    const signature = crypto.sign('sha256', s.csrDer, generateRsaKey());
    assert.deepEqual(await codesOf(handmade(s, { signature }), s.root), ['SIGNATURE_INVALID']);
  });

  it('reports an expired vendor certificate in the chain', async () => {
    const s = await setup();
    const report = await verifyPushCertRequest(handmade(s, {}), { root: s.root, now: new Date(Date.now() + 2 * 365 * 86_400_000) });
    assert.ok(report.findings.some((f) => f.code === 'CERT_EXPIRED' && f.message.includes('vendor MDM signing certificate')));
  });

  it('accepts Base64 wrapped over several lines', async () => {
    const s = await setup();
    const wrapped = handmade(s, {}).replace(/.{76}/g, '$&\n');
    assert.deepEqual(await codesOf(wrapped, s.root), []);
  });
});
