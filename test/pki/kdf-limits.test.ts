// Key-derivation bombs: an uploaded PKCS#12 or encrypted PKCS#8 key names its own iteration
// count. Files are made by openssl at 65,536 iterations (a 3-byte DER INTEGER, 02 03 01 00 00)
// and patched to 8,388,607 (02 03 7f ff ff): same length, so the file stays well-formed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parsePrivateKey } from '../../src/pki/key.ts';
import { MAX_KDF_ITERATIONS } from '../../src/pki/kdf-limits.ts';
import { readPkcs12 } from '../../src/pki/pkcs12.ts';
import { readPkcs12OffThread } from '../../src/pki/pkcs12-thread.ts';
import { rejectsCode, throwsCode } from '../fixtures/certpush-error.ts';
import { opensslPkcs12 } from '../fixtures/openssl-pki.ts';
import { openssl, tempDir, testPki, writeFiles } from '../fixtures/pki.ts';

const dir = tempDir();
const AT_65536 = Buffer.from([2, 3, 1, 0, 0]);
const BOMB = Buffer.from([2, 3, 0x7f, 0xff, 0xff]);
let files: Record<string, string>;
let p12At65536: Buffer;
let p12Default: Buffer;
let p12NoMac: Buffer;

/** Every 65,536-iteration count in `der` raised to 8,388,607; `only` picks one occurrence. */
function bomb(der: Buffer, only?: number): Buffer {
  const out = Buffer.from(der);
  let seen = 0;
  for (let at = out.indexOf(AT_65536); at !== -1; at = out.indexOf(AT_65536, at + 1)) {
    if (only === undefined || only === seen) BOMB.copy(out, at);
    seen++;
  }
  assert.ok(seen > 0, 'the file has a 65,536 iteration count to patch');
  return out;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

before(async () => {
  const pki = await testPki();
  files = writeFiles(dir, { 'c.pem': pki.vendor.cert, 'k.pem': pki.vendor.key });
  p12At65536 = opensslPkcs12(dir, 'i.p12', { certPath: files['c.pem']!, keyPath: files['k.pem']!, password: 'pw', extra: ['-iter', '65536', '-maciter'] });
  // Without a MAC the inner counts are reached: an uploader who knows the password can always
  // make the MAC match, so the inner derivations must be bounded on their own.
  p12NoMac = opensslPkcs12(dir, 'n.p12', { certPath: files['c.pem']!, keyPath: files['k.pem']!, password: 'pw', extra: ['-iter', '65536', '-nomac', '-certpbe', 'AES-256-CBC'] });
  p12Default = opensslPkcs12(dir, 'd.p12', { certPath: files['c.pem']!, keyPath: files['k.pem']!, password: 'pw' });
});

describe('KDF iteration limits', () => {
  it('refuses a PKCS#12 whose MAC asks for 8,388,607 iterations, naming the count and the limit, in well under a second', () => {
    const started = performance.now();
    const error = throwsCode(() => readPkcs12(bomb(p12At65536, 2), 'pw'), 'KDF_ITERATIONS_LIMIT');
    assert.match(error.message, /8,388,607 key-derivation iterations; certpush allows at most 100,000/);
    assert.ok(performance.now() - started < 1000);
  });

  it('refuses a PKCS#12 whose encrypted content or key bag asks for too many iterations', () => {
    assert.ok(readPkcs12(p12NoMac, 'pw').privateKey, 'the honest file opens');
    throwsCode(() => readPkcs12(bomb(p12NoMac, 0), 'pw'), 'KDF_ITERATIONS_LIMIT');
    throwsCode(() => readPkcs12(bomb(p12NoMac, 1), 'pw'), 'KDF_ITERATIONS_LIMIT');
  });

  it('still opens what openssl exports by default, and files up to the limit', () => {
    assert.ok(readPkcs12(p12Default, 'pw').privateKey);
    assert.ok(readPkcs12(p12At65536, 'pw').privateKey);
    assert.ok(MAX_KDF_ITERATIONS >= 65_536);
  });

  it('opens an scrypt-encrypted PKCS#8 key at openssl\'s default work and refuses one asking for more, before deriving', () => {
    const at = (n: number, r: number, p: number) => {
      const out = path.join(dir, `scrypt-${n}-${r}-${p}.pem`);
      openssl(['pkcs8', '-topk8', '-in', files['k.pem']!, '-passout', 'pass:pw', '-scrypt', '-scrypt_N', String(n), '-scrypt_r', String(r), '-scrypt_p', String(p), '-out', out]);
      return fs.readFileSync(out, 'utf8');
    };
    assert.ok(parsePrivateKey(at(16_384, 8, 1), 'pw'), 'openssl\'s default (N=16384, r=8, p=1) opens');
    // Twice the default's work: refused by its parameters, not after deriving.
    const started = performance.now();
    const error = throwsCode(() => parsePrivateKey(at(16_384, 8, 2), 'pw'), 'KDF_ITERATIONS_LIMIT');
    assert.match(error.message, /scrypt N=16384, r=8, p=2 \(N×r×p = 262,144\); certpush allows at most 131,072/);
    assert.ok(performance.now() - started < 1000);
  });

  it('refuses an encrypted PKCS#8 key (PBES2 and PBES1) asking for too many iterations, before deriving', () => {
    for (const extra of [[], ['-v1', 'PBE-SHA1-3DES']]) {
      const out = path.join(dir, `enc${extra.length}.pem`);
      openssl(['pkcs8', '-topk8', '-in', files['k.pem']!, '-passout', 'pass:pw', '-iter', '65536', ...extra, '-out', out]);
      const der = pemBody(fs.readFileSync(out, 'utf8'));
      assert.ok(parsePrivateKey(der, 'pw'), 'the honest key opens');
      const error = throwsCode(() => parsePrivateKey(bomb(der), 'pw'), 'KDF_ITERATIONS_LIMIT');
      assert.match(error.message, /encrypted private key asks for 8,388,607/);
    }
  });

  it('reads a PKCS#12 in a worker thread with the same result and the same refusal', async () => {
    const contents = await readPkcs12OffThread(p12Default, 'pw');
    assert.equal(contents.certificates.length, 1);
    assert.ok(contents.privateKey);
    await rejectsCode(() => readPkcs12OffThread(bomb(p12At65536), 'pw'), 'KDF_ITERATIONS_LIMIT');
    await rejectsCode(() => readPkcs12OffThread(p12Default, 'wrong'), 'P12_WRONG_PASSWORD');
  });
});
