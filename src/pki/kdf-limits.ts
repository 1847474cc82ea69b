import { CertpushError } from '../errors.ts';
import { readTlv } from './der.ts';

/**
 * Key-derivation iterations certpush runs for one derivation. `openssl pkcs12 -export` and
 * `openssl pkcs8` use 2,048, Apple's Keychain and Windows about 2,000, Java's keytool 10,000:
 * this is 10× the largest of them. The count comes from the uploaded file, so without a cap a
 * 104-byte PKCS#12 asking for 2^31−1 iterations is an hour of CPU.
 */
export const MAX_KDF_ITERATIONS = 100_000;

/** Iterations for all derivations of one PKCS#12 file (MAC, certificate bag, key bags). */
export const MAX_PKCS12_ITERATIONS = 5 * MAX_KDF_ITERATIONS;

/**
 * scrypt work (N × r × p) certpush accepts in an encrypted PKCS#8 key: openssl's default
 * (N = 16,384, r = 8, p = 1). Memory is 128 × N × r bytes (16 MB at the default) and time grows
 * with the product: the default took 27 ms here (2026-12-01) on the thread that reads the key;
 * N = 65,536 would take about four times that, past what one request may hold the event loop for.
 */
export const MAX_SCRYPT_COST = 16_384 * 8;

const HELP = 'Export it again with the tool\'s default settings (openssl uses 2,048).';

/** Refuse one derivation's iteration count above the limit, naming both. */
export function checkIterations(count: number, what: string): void {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_KDF_ITERATIONS) {
    throw new CertpushError('KDF_ITERATIONS_LIMIT', `The ${what} asks for ${count.toLocaleString('en-US')} key-derivation iterations; certpush allows at most ${MAX_KDF_ITERATIONS.toLocaleString('en-US')}. ${HELP}`);
  }
}

const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_PBKDF2 = '1.2.840.113549.1.5.12';
const OID_SCRYPT = '1.3.6.1.4.1.11591.4.11';

/**
 * Check the key derivation of an encrypted PKCS#8 key (EncryptedPrivateKeyInfo DER) before
 * OpenSSL runs it: PBES2 with PBKDF2 or scrypt, or PBES1 / PKCS#12 PBE (salt, iterations).
 * Anything it cannot read is left for the decoder to refuse.
 */
export function checkPkcs8Kdf(der: Uint8Array): void {
  // EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier SEQUENCE { OID, params }, OCTET STRING }
  const outer = readTlv(der);
  const algorithm = outer?.tag === 0x30 ? readTlv(der, outer.contentStart) : null;
  if (!algorithm || algorithm.tag !== 0x30) return;
  const [oid, params] = children(der, algorithm.contentStart, algorithm.end);
  if (!oid || oid.tag !== 0x06 || !params || params.tag !== 0x30) return;
  if (oidText(der, oid) !== OID_PBES2) {
    // PBES1 and PKCS#12 PBE: params ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
    const [salt, iterations] = children(der, params.contentStart, params.end);
    if (salt?.tag === 0x04 && iterations?.tag === 0x02) checkIterations(integer(der, iterations), 'encrypted private key');
    return;
  }
  // PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }
  const [kdf] = children(der, params.contentStart, params.end);
  if (!kdf || kdf.tag !== 0x30) return;
  const [kdfOid, kdfParams] = children(der, kdf.contentStart, kdf.end);
  if (!kdfOid || kdfOid.tag !== 0x06 || !kdfParams || kdfParams.tag !== 0x30) return;
  const fields = children(der, kdfParams.contentStart, kdfParams.end);
  const kdfName = oidText(der, kdfOid);
  if (kdfName === OID_PBKDF2 && fields[1]?.tag === 0x02) checkIterations(integer(der, fields[1]), 'encrypted private key');
  if (kdfName === OID_SCRYPT && fields[1]?.tag === 0x02) {
    // scrypt-params ::= SEQUENCE { salt, costParameter (N), blockSize (r), parallelization (p), keyLength? }
    const [n, r, p] = [fields[1], fields[2], fields[3]].map((f) => (f?.tag === 0x02 ? integer(der, f) : 1));
    if (n! * r! * p! > MAX_SCRYPT_COST) {
      throw new CertpushError('KDF_ITERATIONS_LIMIT', `The encrypted private key asks for scrypt N=${n}, r=${r}, p=${p} (N×r×p = ${(n! * r! * p!).toLocaleString('en-US')}); certpush allows at most ${MAX_SCRYPT_COST.toLocaleString('en-US')} (openssl's default N=16384, r=8, p=1). ${HELP}`);
    }
  }
}

function children(der: Uint8Array, start: number, end: number) {
  const out = [];
  for (let offset = start; offset < end;) {
    const tlv = readTlv(der, offset);
    if (!tlv || tlv.end > end) break;
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

/** A DER INTEGER as a number; past 2^53 it is Infinity (over any limit). */
function integer(der: Uint8Array, tlv: { contentStart: number; end: number }): number {
  let n = 0;
  for (let i = tlv.contentStart; i < tlv.end; i++) n = n * 256 + der[i]!;
  if (tlv.end > tlv.contentStart && der[tlv.contentStart]! & 0x80) return -1;
  return Number.isSafeInteger(n) ? n : Infinity;
}

function oidText(der: Uint8Array, tlv: { contentStart: number; end: number }): string {
  const bytes = der.subarray(tlv.contentStart, tlv.end);
  if (bytes.length === 0) return '';
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (const b of bytes.subarray(1)) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}
