import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { parseCsr } from '../../src/pki/csr.ts';
import { parsePrivateKey } from '../../src/pki/key.ts';
import { parsePem, pemLineProblems, pemOrDer, toPem } from '../../src/pki/pem.ts';
import { throwsCode } from '../fixtures/certpush-error.ts';
import { opensslPkcs12, opensslRsaKey, opensslToDer } from '../fixtures/openssl-pki.ts';
import { openssl, tempDir } from '../fixtures/pki.ts';

const dir = tempDir();
let certPath: string;
let certPem: string;
let certDer: Buffer;
let keyPath: string;
let keyPem: string;
let keyDer: Buffer;

before(() => {
  keyPath = opensslRsaKey(dir, 'key.pem');
  certPath = path.join(dir, 'cert.pem');
  openssl(['req', '-x509', '-key', keyPath, '-subj', '/CN=certpush pem test', '-days', '2', '-out', certPath]);
  certPem = fs.readFileSync(certPath, 'utf8');
  certDer = opensslToDer('x509', certPath);
  keyPem = fs.readFileSync(keyPath, 'utf8');
  keyDer = opensslToDer('pkcs8', keyPath, ['-topk8', '-nocrypt']);
});

describe('parsePem', () => {
  it('reads every block of a bundle in order', () => {
    const blocks = parsePem(certPem + keyPem + certPem);
    assert.deepEqual(blocks.map((b) => b.label), ['CERTIFICATE', 'PRIVATE KEY', 'CERTIFICATE']);
    assert.deepEqual(blocks[0]!.der, certDer);
    assert.deepEqual(blocks[1]!.der, keyDer);
    assert.deepEqual(blocks[2]!.der, certDer);
  });

  it('reads bytes as well as text', () => {
    assert.deepEqual(parsePem(Buffer.from(certPem)), parsePem(certPem));
  });

  it('tolerates CRLF line ends', () => {
    const blocks = parsePem((certPem + keyPem).replaceAll('\n', '\r\n'));
    assert.deepEqual(blocks.map((b) => b.der), [certDer, keyDer]);
  });

  it('tolerates blank lines, indentation and trailing spaces inside a block', () => {
    const messy = certPem.split('\n').map((line, i) => (i % 3 === 0 ? `   ${line}  \n` : `\t${line}\n`)).join('\n');
    assert.deepEqual(parsePem(messy).map((b) => b.der), [certDer]);
  });

  it('tolerates text before, between and after blocks', () => {
    const text = `Bag Attributes\n    localKeyID: 01 02 03\nsubject=CN = x\n${certPem}\nsome notes: keep safe\n${keyPem}trailing words`;
    assert.deepEqual(parsePem(text).map((b) => b.label), ['CERTIFICATE', 'PRIVATE KEY']);
  });

  it('reads what "openssl pkcs12 -nodes" prints, Bag Attributes and all', () => {
    opensslPkcs12(dir, 'pem.p12', { certPath, keyPath, password: 'pw' });
    const printed = openssl(['pkcs12', '-in', path.join(dir, 'pem.p12'), '-passin', 'pass:pw', '-nodes']);
    assert.match(printed, /Bag Attributes/);
    const blocks = parsePem(printed);
    assert.deepEqual(blocks.map((b) => b.label).sort(), ['CERTIFICATE', 'PRIVATE KEY']);
    assert.deepEqual(blocks.find((b) => b.label === 'CERTIFICATE')!.der, certDer);
  });

  it('skips RFC 1421 headers (Proc-Type, DEK-Info) before the Base64 body', () => {
    const legacyPath = path.join(dir, 'legacy.pem');
    openssl(['rsa', '-in', keyPath, '-traditional', '-aes256', '-passout', 'pass:secret', '-out', legacyPath]);
    const text = fs.readFileSync(legacyPath, 'utf8');
    assert.match(text, /Proc-Type: 4,ENCRYPTED/);
    const body = text.split(/\n\n/)[1]!.split('-----END')[0]!.replaceAll('\n', '');
    const [block] = parsePem(text);
    assert.equal(block!.label, 'RSA PRIVATE KEY');
    assert.deepEqual(block!.der, Buffer.from(body, 'base64'));
  });

  it('returns no blocks for text without PEM markers', () => {
    assert.deepEqual(parsePem('just some text\n'), []);
  });

  it('reports a block cut off before its END line as PEM_TRUNCATED', () => {
    const cut = certPem.slice(0, Math.floor(certPem.length / 2));
    const error = throwsCode(() => parsePem(cut), 'PEM_TRUNCATED');
    assert.match(error.message, /CERTIFICATE/);
  });

  it('reports a block that runs into the next BEGIN line as PEM_TRUNCATED', () => {
    const cut = certPem.slice(0, certPem.indexOf('-----END'));
    throwsCode(() => parsePem(cut + certPem), 'PEM_TRUNCATED');
  });

  it('reports a body that is not Base64 as PEM_BAD_BASE64', () => {
    const lines = certPem.split('\n');
    lines[3] = `${lines[3]!.slice(0, 10)}*&!${lines[3]!.slice(13)}`;
    throwsCode(() => parsePem(lines.join('\n')), 'PEM_BAD_BASE64');
  });

  it('reports an empty body as PEM_BAD_BASE64', () => {
    throwsCode(() => parsePem('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n'), 'PEM_BAD_BASE64');
  });

  it('reports a body of impossible length (4n+1 characters) as PEM_BAD_BASE64', () => {
    throwsCode(() => parsePem('-----BEGIN CERTIFICATE-----\nAAAAA\n-----END CERTIFICATE-----\n'), 'PEM_BAD_BASE64');
  });
});

describe('toPem', () => {
  it('writes Base64 in 64-character lines with a trailing newline', () => {
    const pem = toPem('CERTIFICATE', certDer);
    const lines = pem.split('\n');
    assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
    assert.equal(lines.at(-2), '-----END CERTIFICATE-----');
    assert.equal(lines.at(-1), '', 'ends with a newline');
    const body = lines.slice(1, -2);
    for (const line of body.slice(0, -1)) assert.equal(line.length, 64);
    assert.ok(body.at(-1)!.length >= 1 && body.at(-1)!.length <= 64);
  });

  it('writes exactly what openssl writes for the same certificate', () => {
    assert.equal(toPem('CERTIFICATE', certDer), certPem);
  });

  it('round-trips through parsePem', () => {
    assert.deepEqual(parsePem(toPem('PRIVATE KEY', keyDer)), [{ label: 'PRIVATE KEY', der: keyDer }]);
  });

  it('turns a messy PEM into the canonical one', () => {
    const messy = `\r\n  ${certPem.replaceAll('\n', '\r\n\r\n  ')}`;
    assert.equal(toPem('CERTIFICATE', parsePem(messy)[0]!.der), certPem);
  });
});

describe('pemOrDer and the typed parsers', () => {
  it('passes binary DER through unchanged', () => {
    assert.deepEqual(pemOrDer(certDer, ['CERTIFICATE'], 'a certificate'), certDer);
  });

  it('reports a key where a certificate is expected as PEM_WRONG_TYPE, naming what it found', () => {
    const error = throwsCode(() => parseCertificate(keyPem), 'PEM_WRONG_TYPE');
    assert.match(error.message, /PRIVATE KEY/);
  });

  it('reports a certificate where a CSR is expected as PEM_WRONG_TYPE, naming what it found', () => {
    const error = throwsCode(() => parseCsr(certPem), 'PEM_WRONG_TYPE');
    assert.match(error.message, /found: CERTIFICATE/);
  });

  it('reports a certificate where a private key is expected as PEM_WRONG_TYPE, naming what it found', () => {
    const error = throwsCode(() => parsePrivateKey(certPem), 'PEM_WRONG_TYPE');
    assert.match(error.message, /found: CERTIFICATE/);
  });

  it('reports text without any PEM block as PEM_MISSING', () => {
    throwsCode(() => parseCertificate('not a certificate'), 'PEM_MISSING');
  });

  it('picks the wanted block out of a bundle that starts with another kind', () => {
    assert.deepEqual(parseCertificate(keyPem + certPem).der, certDer);
  });
});

describe('pemLineProblems', () => {
  it('finds nothing in canonical PEM', () => {
    assert.deepEqual(pemLineProblems(certPem + keyPem), []);
  });

  it('finds nothing in canonical PEM with CRLF line ends', () => {
    assert.deepEqual(pemLineProblems(certPem.replaceAll('\n', '\r\n')), []);
  });

  it('reports every line that is not 64 characters, with its block, label and length', () => {
    const base64 = certDer.toString('base64');
    const lines = base64.match(/.{1,76}/g)!;
    const wide = `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
    const problems = pemLineProblems(certPem + wide);
    const full = lines.slice(0, -1).map((l, i) => ({ block: 2, label: 'CERTIFICATE', line: i + 1, length: l.length }));
    const last = lines.at(-1)!;
    const expected = last.length > 64 ? [...full, { block: 2, label: 'CERTIFICATE', line: lines.length, length: last.length }] : full;
    assert.deepEqual(problems, expected);
    assert.ok(full.length > 0);
  });

  it('reports both halves of a body line that was split in two', () => {
    const lines = certPem.split('\n');
    lines.splice(2, 1, lines[2]!.slice(0, 30), lines[2]!.slice(30));
    const problems = pemLineProblems(lines.join('\n'));
    assert.deepEqual(problems, [
      { block: 1, label: 'CERTIFICATE', line: 2, length: 30 },
      { block: 1, label: 'CERTIFICATE', line: 3, length: 34 },
    ]);
  });

  it('reports a last line longer than 64 characters', () => {
    const base64 = certDer.toString('base64');
    const cut = base64.length - 70;
    const text = `-----BEGIN CERTIFICATE-----\n${base64.slice(0, cut).match(/.{1,64}/g)!.join('\n')}\n${base64.slice(cut)}\n-----END CERTIFICATE-----\n`;
    const problems = pemLineProblems(text);
    assert.equal(problems.length >= 1, true);
    assert.deepEqual(problems.at(-1), { block: 1, label: 'CERTIFICATE', line: text.split('\n').length - 3, length: 70 });
  });

  it('accepts a last line shorter than 64 characters', () => {
    const body = certDer.subarray(0, 48 * 3 + 5).toString('base64').match(/.{1,64}/g)!;
    assert.ok(body.at(-1)!.length < 64);
    assert.deepEqual(pemLineProblems(`-----BEGIN X-----\n${body.join('\n')}\n-----END X-----\n`), []);
  });
});
