import assert from 'node:assert/strict';
import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeKey, generateRsaKey, keyMatchesSpki, parsePrivateKey, privateKeyToPem, spkiOf } from '../../src/pki/key.ts';
import { throwsCode } from '../fixtures/certpush-error.ts';
import { opensslRsaKey, opensslSpki, opensslToDer } from '../fixtures/openssl-pki.ts';
import { openssl, tempDir } from '../fixtures/pki.ts';

const dir = tempDir();
const PASS = 'correct horse battery staple';
let keyPath: string;
let spki: Buffer;
let otherSpki: Buffer;
/** The same openssl key in every encoding certpush reads. */
const encodings: Record<string, string> = {};

function read(name: string): string {
  return fs.readFileSync(path.join(dir, name), 'utf8');
}

before(() => {
  keyPath = opensslRsaKey(dir, 'key.pem');
  spki = opensslSpki(keyPath);
  otherSpki = opensslSpki(opensslRsaKey(dir, 'other.pem'));
  const p = (name: string) => path.join(dir, name);
  openssl(['rsa', '-in', keyPath, '-traditional', '-out', p('pkcs1.pem')]);
  openssl(['pkcs8', '-topk8', '-in', keyPath, '-v2', 'aes-256-cbc', '-passout', `pass:${PASS}`, '-out', p('pkcs8-aes.pem')]);
  openssl(['pkcs8', '-topk8', '-in', keyPath, '-v1', 'PBE-SHA1-3DES', '-passout', `pass:${PASS}`, '-out', p('pkcs8-3des.pem')]);
  openssl(['rsa', '-in', keyPath, '-traditional', '-aes256', '-passout', `pass:${PASS}`, '-out', p('legacy.pem')]);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('ec.pem')]);
  encodings.pkcs8 = read('key.pem');
  encodings.pkcs1 = read('pkcs1.pem');
  encodings.encrypted = read('pkcs8-aes.pem');
  encodings.encrypted3des = read('pkcs8-3des.pem');
  encodings.legacy = read('legacy.pem');
  encodings.ec = read('ec.pem');
});

function assertIsTheKey(key: KeyObject): void {
  assert.equal(key.type, 'private');
  assert.deepEqual(spkiOf(key), spki);
}

describe('generateRsaKey', () => {
  it('makes a 2048-bit RSA key with exponent 65537 by default, as openssl reads it', () => {
    const key = generateRsaKey();
    assert.deepEqual(describeKey(key), { type: 'rsa', bits: 2048, curve: null });
    const text = openssl(['pkey', '-noout', '-text'], { input: privateKeyToPem(key) });
    assert.match(text, /Private-Key: \(2048 bit/);
    assert.match(text, /publicExponent: 65537/);
  });

  for (const bits of [1024, 2047, 16384, 0, Number.NaN]) {
    it(`rejects ${bits} bits with KEY_SIZE`, () => {
      throwsCode(() => generateRsaKey(bits), 'KEY_SIZE');
    });
  }
});

describe('parsePrivateKey', () => {
  it('reads an openssl PKCS#8 PEM key', () => {
    assert.match(encodings.pkcs8!, /BEGIN PRIVATE KEY/);
    assertIsTheKey(parsePrivateKey(encodings.pkcs8!));
  });

  it('reads an openssl PKCS#1 PEM key (openssl rsa -traditional)', () => {
    assert.match(encodings.pkcs1!, /BEGIN RSA PRIVATE KEY/);
    assertIsTheKey(parsePrivateKey(encodings.pkcs1!));
  });

  it('reads an encrypted PKCS#8 key (AES-256-CBC, PBKDF2) with its passphrase', () => {
    assert.match(encodings.encrypted!, /BEGIN ENCRYPTED PRIVATE KEY/);
    assertIsTheKey(parsePrivateKey(encodings.encrypted!, PASS));
  });

  it('reads an encrypted PKCS#8 key of the older PBE-SHA1-3DES kind with its passphrase', () => {
    assertIsTheKey(parsePrivateKey(encodings.encrypted3des!, PASS));
  });

  it('reads a legacy-encrypted PKCS#1 key (Proc-Type header) with its passphrase', () => {
    assert.match(encodings.legacy!, /Proc-Type: 4,ENCRYPTED/);
    assertIsTheKey(parsePrivateKey(encodings.legacy!, PASS));
  });

  it('reads the key from bytes as well as from text', () => {
    assertIsTheKey(parsePrivateKey(Buffer.from(encodings.pkcs1!)));
  });

  it('reads a PKCS#8 DER key', () => {
    assertIsTheKey(parsePrivateKey(opensslToDer('pkcs8', keyPath, ['-topk8', '-nocrypt'])));
  });

  it('reads a PKCS#1 DER key', () => {
    assertIsTheKey(parsePrivateKey(opensslToDer('rsa', keyPath, ['-traditional'])));
  });

  it('reads an encrypted PKCS#8 DER key with its passphrase', () => {
    const der = opensslToDer('pkcs8', keyPath, ['-topk8', '-v2', 'aes-256-cbc', '-passout', `pass:${PASS}`]);
    assertIsTheKey(parsePrivateKey(der, PASS));
  });

  it('reads a SEC1 EC key and reports its curve', () => {
    assert.match(encodings.ec!, /BEGIN EC PRIVATE KEY/);
    assert.deepEqual(describeKey(parsePrivateKey(encodings.ec!)), { type: 'ec', bits: null, curve: 'prime256v1' });
  });

  it('finds the key in a bundle that starts with a certificate', () => {
    const cert = openssl(['req', '-x509', '-key', keyPath, '-subj', '/CN=bundle', '-days', '1']);
    assertIsTheKey(parsePrivateKey(cert + encodings.pkcs8!));
  });

  it('calls input that is no encrypted key unparsable, not a wrong passphrase, when a passphrase is given', () => {
    // (A PEM cut off is PEM_TRUNCATED before this; DER has no END line to miss.)
    const der = Buffer.from(encodings.encrypted!.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const truncated = der.subarray(0, der.length / 2);
    for (const input of ['', 'garbage', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), truncated]) {
      const error = throwsCode(() => parsePrivateKey(input, 'pw'), 'KEY_UNPARSABLE');
      assert.match(error.message, /not an encrypted PKCS#8 key/);
    }
  });

  it('reports a wrong passphrase for an encrypted PKCS#8 key as KEY_WRONG_PASSPHRASE', () => {
    throwsCode(() => parsePrivateKey(encodings.encrypted!, 'wrong'), 'KEY_WRONG_PASSPHRASE');
  });

  it('reports a wrong passphrase for an encrypted PKCS#8 DER key as KEY_WRONG_PASSPHRASE', () => {
    const der = opensslToDer('pkcs8', keyPath, ['-topk8', '-v2', 'aes-256-cbc', '-passout', `pass:${PASS}`]);
    throwsCode(() => parsePrivateKey(der, 'wrong'), 'KEY_WRONG_PASSPHRASE');
  });

  it('reports a wrong passphrase for a legacy-encrypted key as KEY_WRONG_PASSPHRASE', () => {
    throwsCode(() => parsePrivateKey(encodings.legacy!, 'wrong'), 'KEY_WRONG_PASSPHRASE');
  });

  it('reports every wrong passphrase as KEY_WRONG_PASSPHRASE, even when the garbage passes the padding check', () => {
    // About one wrong passphrase in 256 decrypts to bytes with valid padding, and OpenSSL then
    // fails while decoding instead of with "bad decrypt"; 2,000 tries meet that case.
    for (let i = 0; i < 2000; i++) throwsCode(() => parsePrivateKey(encodings.legacy!, `wrong-${i}`), 'KEY_WRONG_PASSPHRASE');
  });

  it('asks for the passphrase of an encrypted PKCS#8 key with KEY_PASSPHRASE_REQUIRED', () => {
    throwsCode(() => parsePrivateKey(encodings.encrypted!), 'KEY_PASSPHRASE_REQUIRED');
  });

  it('asks for the passphrase of an encrypted PKCS#8 DER key with KEY_PASSPHRASE_REQUIRED', () => {
    const der = opensslToDer('pkcs8', keyPath, ['-topk8', '-v2', 'aes-256-cbc', '-passout', `pass:${PASS}`]);
    throwsCode(() => parsePrivateKey(der), 'KEY_PASSPHRASE_REQUIRED');
  });

  it('asks for the passphrase of a legacy-encrypted key with KEY_PASSPHRASE_REQUIRED', () => {
    throwsCode(() => parsePrivateKey(encodings.legacy!), 'KEY_PASSPHRASE_REQUIRED');
  });

  it('reports random bytes as KEY_UNPARSABLE', () => {
    throwsCode(() => parsePrivateKey(crypto.randomBytes(600)), 'KEY_UNPARSABLE');
  });

  it('reports a PRIVATE KEY block that holds no key as KEY_UNPARSABLE', () => {
    throwsCode(() => parsePrivateKey('-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n'), 'KEY_UNPARSABLE');
  });

  it('reports a certificate given as a key as PEM_WRONG_TYPE', () => {
    const cert = openssl(['req', '-x509', '-key', keyPath, '-subj', '/CN=not a key', '-days', '1']);
    const error = throwsCode(() => parsePrivateKey(cert), 'PEM_WRONG_TYPE');
    assert.match(error.message, /CERTIFICATE/);
  });
});

describe('keyMatchesSpki', () => {
  it('is true for the public key openssl derives from the same key', () => {
    assert.equal(keyMatchesSpki(parsePrivateKey(encodings.pkcs8!), spki), true);
  });

  it('is false for another key', () => {
    assert.equal(keyMatchesSpki(parsePrivateKey(encodings.pkcs8!), otherSpki), false);
  });

  it('is false for a truncated public key', () => {
    assert.equal(keyMatchesSpki(parsePrivateKey(encodings.pkcs8!), spki.subarray(0, spki.length - 1)), false);
  });
});

describe('privateKeyToPem', () => {
  it('writes an unencrypted PKCS#8 key that openssl reads as the same key', () => {
    const pem = privateKeyToPem(parsePrivateKey(encodings.pkcs1!));
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
    const der = Buffer.from(openssl(['pkey', '-pubout', '-outform', 'PEM'], { input: pem }).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.deepEqual(der, spki);
  });

  it('writes an encrypted PKCS#8 key that openssl opens with the passphrase', () => {
    const pem = privateKeyToPem(parsePrivateKey(encodings.pkcs8!), PASS);
    assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const file = path.join(dir, 'ours-encrypted.pem');
    fs.writeFileSync(file, pem);
    assert.deepEqual(opensslSpki(file, PASS), spki);
  });

  it('writes an encrypted key that does not contain the plain key', () => {
    const plain = privateKeyToPem(parsePrivateKey(encodings.pkcs8!));
    const encrypted = privateKeyToPem(parsePrivateKey(encodings.pkcs8!), PASS);
    const secretLine = plain.split('\n')[5]!;
    assert.equal(encrypted.includes(secretLine), false);
  });
});

describe('spkiOf', () => {
  it('gives the same SubjectPublicKeyInfo as openssl, for a private or a public key', () => {
    const key = parsePrivateKey(encodings.pkcs8!);
    assert.deepEqual(spkiOf(key), spki);
    assert.deepEqual(spkiOf(crypto.createPublicKey(key)), spki);
  });
});
