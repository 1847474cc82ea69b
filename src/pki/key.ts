import crypto, { type KeyObject } from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { readTlv } from './der.ts';
import { checkPkcs8Kdf } from './kdf-limits.ts';
import { looksLikePem, parsePem, toPem } from './pem.ts';

/** Key sizes the MDM flow accepts; Apple's portal wants RSA 2048 CSRs. */
export const DEFAULT_RSA_BITS = 2048;

/** Generate an RSA private key (2048 bits unless told otherwise). */
export function generateRsaKey(bits: number = DEFAULT_RSA_BITS): KeyObject {
  if (!Number.isInteger(bits) || bits < 2048 || bits > 8192 || bits % 8 !== 0) {
    throw new CertpushError('KEY_SIZE', `RSA key size ${bits} is not supported: use 2048, 3072 or 4096 bits.`);
  }
  return crypto.generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 }).privateKey;
}

const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'];

/**
 * A private key from PEM (PKCS#1 `RSA PRIVATE KEY`, PKCS#8 `PRIVATE KEY`, encrypted PKCS#8
 * `ENCRYPTED PRIVATE KEY`, SEC1 `EC PRIVATE KEY`) or DER (PKCS#8 or PKCS#1).
 * An encrypted key needs `passphrase`.
 */
export function parsePrivateKey(input: Uint8Array | string, passphrase?: string): KeyObject {
  if (looksLikePem(input)) {
    const blocks = parsePem(input);
    const block = blocks.find((b) => KEY_LABELS.includes(b.label));
    if (!block) {
      const seen = blocks.map((b) => b.label).join(', ') || 'none';
      throw new CertpushError('PEM_WRONG_TYPE', `Expected a private key (a "PRIVATE KEY" or "RSA PRIVATE KEY" PEM block) but found: ${seen}. Pass the key file, not the certificate.`);
    }
    if (block.label === 'ENCRYPTED PRIVATE KEY') return decryptPkcs8(block.der, passphrase);
    const type = block.label === 'RSA PRIVATE KEY' ? 'pkcs1' : block.label === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8';
    // Legacy OpenSSL encryption (Proc-Type header) is only visible in the original text.
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    if (text.includes('Proc-Type: 4,ENCRYPTED')) {
      if (passphrase === undefined) throw new CertpushError('KEY_PASSPHRASE_REQUIRED', 'The private key is encrypted: give its passphrase (CLI: --password-file).');
      return createKey(() => crypto.createPrivateKey({ key: text, format: 'pem', passphrase: passphrase ?? '' }), passphrase);
    }
    return createKey(() => crypto.createPrivateKey({ key: Buffer.from(block.der), format: 'der', type }), undefined);
  }
  const der = Buffer.from(input);
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return crypto.createPrivateKey({ key: der, format: 'der', type });
    } catch (error) {
      // An encrypted PKCS#8 key is readable as such: ask for its passphrase instead of calling it garbage.
      if (passphrase === undefined && (error as { code?: string }).code === 'ERR_MISSING_PASSPHRASE') return decryptPkcs8(der, undefined);
      /* otherwise try the next encoding */
    }
  }
  if (passphrase !== undefined) return decryptPkcs8(der, passphrase);
  throw new CertpushError('KEY_UNPARSABLE', 'The private key could not be read as PEM or DER (PKCS#8, PKCS#1 or SEC1). If it is encrypted, give its passphrase; if it is inside a .p12, use the PKCS#12 option instead.');
}

function decryptPkcs8(der: Buffer, passphrase: string | undefined): KeyObject {
  if (passphrase === undefined) {
    throw new CertpushError('KEY_PASSPHRASE_REQUIRED', 'The private key is encrypted: give its passphrase (CLI: --password-file).');
  }
  // Not an EncryptedPrivateKeyInfo at all (garbage, an empty file): OpenSSL's failure would read
  // as a wrong passphrase and send the user after the wrong thing.
  if (!isEncryptedPrivateKeyInfo(der)) {
    throw new CertpushError('KEY_UNPARSABLE', 'The private key could not be read: it is not an encrypted PKCS#8 key, nor an unencrypted PKCS#8, PKCS#1 or SEC1 one. Check that the file is the key (PEM "ENCRYPTED PRIVATE KEY" or "PRIVATE KEY") and complete; a key inside a .p12 needs the PKCS#12 option.');
  }
  // The file names its own iteration count; OpenSSL would run whatever it says, on this thread.
  checkPkcs8Kdf(der);
  return createKey(() => crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase }), passphrase);
}

/** EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }, spanning the input. */
function isEncryptedPrivateKeyInfo(der: Uint8Array): boolean {
  const outer = readTlv(der);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return false;
  const algorithm = readTlv(der, outer.contentStart);
  if (!algorithm || algorithm.tag !== 0x30) return false;
  const data = readTlv(der, algorithm.end);
  return !!data && data.tag === 0x04 && data.end === outer.end;
}

function createKey(make: () => KeyObject, passphrase: string | undefined): KeyObject {
  try {
    return make();
  } catch (error) {
    const reason = (error as Error).message;
    // `passphrase` is only given for encrypted keys. A wrong one usually fails the padding check
    // ("bad decrypt"), but about one time in 256 the garbage passes it and the failure surfaces
    // as a decoding error instead: either way, the passphrase (or the key file) is wrong.
    if (passphrase !== undefined) {
      throw new CertpushError('KEY_WRONG_PASSPHRASE', 'The private key could not be decrypted: the passphrase is wrong (or the encrypted key is damaged). Check the passphrase file (no trailing spaces).', { cause: error });
    }
    throw new CertpushError('KEY_UNPARSABLE', `The private key could not be read (${reason}). Export it again as PEM (PKCS#8 or PKCS#1).`, { cause: error });
  }
}

/** PKCS#8 PEM of a private key, optionally encrypted with AES-256-CBC under `passphrase`. */
export function privateKeyToPem(key: KeyObject, passphrase?: string): string {
  const der = passphrase === undefined
    ? key.export({ format: 'der', type: 'pkcs8' })
    : key.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase });
  return toPem(passphrase === undefined ? 'PRIVATE KEY' : 'ENCRYPTED PRIVATE KEY', der);
}

// KeyObjects are immutable, and a signer checks the same vendor key for every request.
const spkiCache = new WeakMap<KeyObject, Buffer>();

/** DER SubjectPublicKeyInfo of a private or public key. */
export function spkiOf(key: KeyObject): Buffer {
  let spki = spkiCache.get(key);
  if (!spki) {
    const pub = key.type === 'private' ? crypto.createPublicKey(key) : key;
    spki = pub.export({ format: 'der', type: 'spki' });
    spkiCache.set(key, spki);
  }
  return spki;
}

/** What kind of key and how big, for inspection output and size checks. */
export interface KeyInfo {
  type: string;
  bits: number | null;
  curve: string | null;
}

export function describeKey(key: KeyObject): KeyInfo {
  const details = key.asymmetricKeyDetails ?? {};
  return { type: key.asymmetricKeyType ?? 'unknown', bits: details.modulusLength ?? null, curve: details.namedCurve ?? null };
}

/** True when the private key is the partner of the public key given as SPKI DER. */
export function keyMatchesSpki(privateKey: KeyObject, spki: Uint8Array): boolean {
  const mine = spkiOf(privateKey);
  return mine.length === spki.length && crypto.timingSafeEqual(mine, spki);
}
