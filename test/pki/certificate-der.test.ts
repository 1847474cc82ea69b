// certpush reads certificates and CSRs with its own DER walk (src/pki/certificate-der.ts). The
// test PKI makes one kind of certificate; these are the other forms real CAs and openssl write —
// v1 certificates, GeneralizedTime, BMP and Teletex strings, multi-valued names, EC, Ed25519 and
// RSA-PSS — each checked against what openssl itself says about the same file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { throwsCode } from '../fixtures/certpush-error.ts';
import { openssl, tempDir } from '../fixtures/pki.ts';
import { type Certificate, parseCertificate, parseCertificateDer } from '../../src/pki/certificate.ts';
import { parseCsr, verifyCsrSignature } from '../../src/pki/csr.ts';

let dir: string;
const cert = (name: string): Certificate => parseCertificate(fs.readFileSync(path.join(dir, `${name}.der`)));
const shown = (name: string, option: string): string => openssl(['x509', '-inform', 'DER', '-in', path.join(dir, `${name}.der`), '-noout', option]).trim();

/** A self-signed certificate made by `openssl req -x509` with the given extra arguments and config. */
function selfSigned(name: string, key: string, subject: string, args: string[] = [], config = ''): void {
  const configPath = path.join(dir, `${name}.cnf`);
  fs.writeFileSync(configPath, `[req]\ndistinguished_name=dn\n${config}\n[dn]\n`);
  openssl(['req', '-x509', '-key', path.join(dir, key), '-utf8', '-subj', subject, '-days', '30', '-config', configPath, '-outform', 'DER', '-out', path.join(dir, `${name}.der`), ...args]);
}

before(() => {
  dir = tempDir('certpush-der-');
  openssl(['genrsa', '-out', path.join(dir, 'rsa.key'), '2048']);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path.join(dir, 'ec.key')]);
  openssl(['genpkey', '-algorithm', 'ed25519', '-out', path.join(dir, 'ed.key')]);
  // v1 (no extensions), a serial whose first byte has its high bit set, an end after 2049.
  openssl(['req', '-new', '-key', path.join(dir, 'rsa.key'), '-subj', '/CN=v1', '-out', path.join(dir, 'v1.csr')]);
  openssl(['x509', '-req', '-in', path.join(dir, 'v1.csr'), '-key', path.join(dir, 'rsa.key'), '-days', '20000', '-set_serial', '0xF00DFACE12345678', '-outform', 'DER', '-out', path.join(dir, 'v1.der')]);
  selfSigned('bmp', 'rsa.key', '/CN=Zürich/O=Ünïcode ☃', [], 'string_mask=pkix');
  selfSigned('teletex', 'rsa.key', '/CN=Zürich', [], 'string_mask=nombstr');
  selfSigned('multi', 'rsa.key', '/CN=Multi/O=Org+OU=Unit/2.5.4.97=VATDE-123/DC=example', ['-multivalue-rdn']);
  selfSigned('ec', 'ec.key', '/CN=EC', ['-sha384']);
  selfSigned('ed', 'ed.key', '/CN=Ed25519');
  selfSigned('pss', 'rsa.key', '/CN=PSS', ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']);
  selfSigned('ca', 'rsa.key', '/CN=Constrained CA', ['-extensions', 'v3'], [
    '[v3]',
    'basicConstraints=critical,CA:TRUE,pathlen:3',
    'keyUsage=critical,keyCertSign,cRLSign,decipherOnly',
    'extendedKeyUsage=serverAuth,1.2.3.4.5',
    'authorityKeyIdentifier=issuer',
    '2.25.329800735698586629295641978511506172918=ASN1:NULL',
  ].join('\n'));
});

describe('certificates in forms the test PKI does not make', () => {
  it('a serial number whose first byte is over 0x7f reads as openssl shows it, without DER\'s leading 00', () => {
    assert.equal(cert('v1').serialNumber, shown('v1', '-serial').split('=')[1]!.toLowerCase());
    assert.equal(cert('v1').serialNumber, 'f00dface12345678');
  });

  it('a v1 certificate has no extensions: no key usages, not a CA, no key identifiers', () => {
    const v1 = cert('v1');
    assert.deepEqual([v1.keyUsage, v1.extendedKeyUsage, v1.isCa, v1.subjectKeyId, v1.authorityKeyId], [[], [], false, null, null]);
  });

  it('an end after 2049 is a GeneralizedTime, read to the second openssl shows', () => {
    assert.equal(cert('v1').notAfter.getTime(), new Date(shown('v1', '-enddate').split('=')[1]!).getTime());
    assert.ok(cert('v1').notAfter.getUTCFullYear() > 2049);
  });

  it('BMPString, TeletexString and UTF8String values read as the same text', () => {
    assert.equal(cert('bmp').commonName, 'Zürich');
    assert.equal(cert('bmp').subject.text, 'CN=Zürich, O=Ünïcode ☃');
    assert.equal(cert('teletex').commonName, 'Zürich');
    assert.match(openssl(['asn1parse', '-inform', 'DER', '-in', path.join(dir, 'bmp.der')]), /BMPSTRING/);
    assert.match(openssl(['asn1parse', '-inform', 'DER', '-in', path.join(dir, 'teletex.der')]), /T61STRING/);
  });

  it('a multi-valued name keeps its attributes in order; an attribute without a short name shows its OID', () => {
    assert.deepEqual(cert('multi').subject.attributes.map((a) => `${a.name}=${a.value}`), ['CN=Multi', 'O=Org', 'OU=Unit', '2.5.4.97=VATDE-123', 'DC=example']);
    assert.equal(cert('multi').subject.attributes[4]!.oid, '0.9.2342.19200300.100.1.25');
  });

  it('names the signature algorithm of ECDSA, Ed25519 and RSA-PSS certificates, as openssl does', () => {
    assert.deepEqual([cert('ec').signatureAlgorithm, cert('ed').signatureAlgorithm, cert('pss').signatureAlgorithm], ['ECDSA/SHA-384', 'Ed25519', 'RSA-PSS/SHA-256']);
    const text = (name: string) => shown(name, '-text');
    assert.match(text('ec'), /Signature Algorithm: ecdsa-with-SHA384/);
    assert.match(text('ed'), /Signature Algorithm: ED25519/);
    assert.match(text('pss'), /Signature Algorithm: rsassaPss[\s\S]*Hash Algorithm: sha256/);
    assert.deepEqual([cert('ec').publicKey.type, cert('ec').publicKey.curve, cert('ed').publicKey.type], ['ec', 'prime256v1', 'ed25519']);
  });

  it('reads a CA\'s path length, a key usage bit in the second byte, an unknown purpose and an authority key id without a key id', () => {
    const ca = cert('ca');
    assert.deepEqual([ca.isCa, ca.pathLength], [true, 3]);
    assert.deepEqual(ca.keyUsage, ['keyCertSign', 'cRLSign', 'decipherOnly']);
    assert.deepEqual(ca.extendedKeyUsage, ['serverAuth', '1.2.3.4.5']);
    assert.equal(ca.authorityKeyId, null);
    assert.match(shown('ca', '-text'), /pathlen:3[\s\S]*Decipher Only[\s\S]*1\.2\.3\.4\.5/);
  });
});

describe('a certificate that OpenSSL accepts but whose fields are broken', () => {
  it('a validity time that is not a date is CERT_UNPARSABLE, naming the validity', () => {
    const start = cert('v1').notBefore.toISOString();
    const utc = start.slice(2, 4) + start.slice(5, 7) + start.slice(8, 10);
    // The v1 certificate with its start's month made 13.
    const der = fs.readFileSync(path.join(dir, 'v1.der'));
    const at = der.indexOf(Buffer.from(utc, 'latin1'));
    assert.ok(at > 0);
    der.write('13', at + 2, 'latin1');
    const error = throwsCode(() => parseCertificateDer(der), 'CERT_UNPARSABLE');
    assert.match(error.message, /start of the validity is not a valid date/);
  });

  it('an object identifier over 128 bytes is CERT_UNPARSABLE: a hostile upload costs no quadratic work', () => {
    const long = `1.2.${Array.from({ length: 200 }, (_, i) => 1000 + i).join('.')}`; // 2 bytes an arc
    selfSigned('long-oid', 'rsa.key', '/CN=long', ['-extensions', 'v3'], `[v3]\n${long}=ASN1:NULL`);
    assert.match(throwsCode(() => cert('long-oid'), 'CERT_UNPARSABLE').message, /object identifier of 401 bytes, longer than the 128/);
  });

  it('an extension that appears twice is CERT_UNPARSABLE', () => {
    // The CA certificate with its extended key usage's OID (2.5.29.37) turned into a second
    // basic constraints (2.5.29.19). OpenSSL reads the certificate; RFC 5280 allows one of each.
    const der = fs.readFileSync(path.join(dir, 'ca.der'));
    const at = der.indexOf(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x25]));
    assert.ok(at > 0);
    der[at + 4] = 0x13;
    assert.match(throwsCode(() => parseCertificateDer(der), 'CERT_UNPARSABLE').message, /extension 2\.5\.29\.19 appears twice/);
  });
});

describe('CSRs read by the same walk', () => {
  function csr(key: string, args: string[] = []): Buffer {
    return Buffer.from(openssl(['req', '-new', '-key', path.join(dir, key), '-subj', '/CN=request/O=Org+OU=Unit', '-multivalue-rdn', ...args]));
  }

  it('an ECDSA CSR is read and its signature verifies with Node\'s one-shot verify', async () => {
    const request = parseCsr(csr('ec.key'));
    assert.deepEqual([request.subject.text, request.signatureAlgorithm, request.signed.hash], ['CN=request, O=Org, OU=Unit', 'ECDSA/SHA-256', 'sha256']);
    assert.equal(await verifyCsrSignature(request), true);
  });

  it('an RSA-PSS CSR verifies through WebCrypto, and fails once its signature is changed', async () => {
    const request = parseCsr(csr('rsa.key', ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']));
    assert.deepEqual([request.signatureAlgorithm, request.signed.hash], ['RSA-PSS/SHA-256', null]);
    assert.equal(await verifyCsrSignature(request), true);
    const broken = Buffer.from(request.der);
    broken[broken.length - 1]! ^= 1;
    assert.equal(await verifyCsrSignature(parseCsr(broken)), false);
  });
});

describe('the certificate library is loaded only to issue certificates', () => {
  it('reading certificates, CSRs and identities and making a CSR load no @peculiar/x509; issuing a certificate does', () => {
    const url = (file: string) => JSON.stringify(pathToFileURL(path.resolve(file)).href);
    const script = `
      import fs from 'node:fs';
      import { registerHooks } from 'node:module';
      const loaded = new Set();
      registerHooks({ resolve(specifier, context, next) {
        const result = next(specifier, context);
        const match = /node_modules\\/(@peculiar\\/x509|asn1js|tsyringe|reflect-metadata)\\//.exec(result.url);
        if (match) loaded.add(match[1]);
        return result;
      } });
      const { parseCertificate } = await import(${url('src/pki/certificate.ts')});
      const { createCsr, parseCsr, verifyCsrSignature } = await import(${url('src/pki/csr.ts')});
      const { loadIdentity } = await import(${url('src/pki/identity.ts')});
      await import(${url('src/server/app.ts')});
      parseCertificate(fs.readFileSync(${JSON.stringify(path.join(dir, 'ca.der'))}));
      const key = fs.readFileSync(${JSON.stringify(path.join(dir, 'rsa.key'))});
      loadIdentity({ cert: fs.readFileSync(${JSON.stringify(path.join(dir, 'v1.der'))}), key });
      if (!await verifyCsrSignature(parseCsr(fs.readFileSync(${JSON.stringify(path.join(dir, 'v1.csr'))})))) throw new Error('CSR did not verify');
      const { createPrivateKey } = await import('node:crypto');
      await createCsr(createPrivateKey(key), { CN: 'made' });
      const serving = [...loaded];
      const { issueCertificate } = await import(${url('src/pki/issue.ts')});
      const now = Date.now();
      await issueCertificate({ subject: { CN: 'issued' }, publicKey: createPrivateKey(key), selfSigningKey: createPrivateKey(key), notBefore: new Date(now), notAfter: new Date(now + 86_400_000) });
      process.stdout.write(JSON.stringify({ serving, issuing: [...loaded].sort() }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { serving: [], issuing: ['@peculiar/x509', 'asn1js', 'reflect-metadata', 'tsyringe'] });
  });
});
