import crypto, { type KeyObject } from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { childrenOf, contentOf, DerError, expectTag, expectTlv } from './der.ts';
import { describeKey, type KeyInfo } from './key.ts';
import { derOid, derTlv } from './der-write.ts';
import { type DistinguishedName, encodeName, nameField, readNameDer } from './name.ts';
import { pemOrDer, toPem } from './pem.ts';
import { readSignatureAlgorithm } from './signature-algorithm.ts';
import { loadX509 } from './x509-loader.ts';

/** Subject fields of a CSR; Apple's portal only needs CN, certpush lets tenants fill the rest. */
export interface CsrSubject {
  CN: string;
  O?: string;
  OU?: string;
  C?: string;
  emailAddress?: string;
}

/** A PKCS#10 certificate signing request, parsed into plain fields. */
export interface Csr {
  der: Buffer;
  subject: DistinguishedName;
  commonName: string | null;
  publicKey: KeyInfo & { spki: Buffer };
  signatureAlgorithm: string;
  /** What the self-signature covers (certificationRequestInfo), its hash and value. */
  signed: { tbs: Buffer; hash: string | null; signature: Buffer };
}

/** sha256WithRSAEncryption, with the NULL parameters PKCS#1 gives it. */
const SHA256_WITH_RSA = derTlv(0x30, derOid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

/**
 * Create a SHA-256 PKCS#10 CSR for `privateKey` (RSA). Written here (RFC 2986) rather than by
 * a certificate library, so that a serving process never loads one (README: Design, "Deviation
 * — certificates and CSRs are read, and CSRs written, by certpush's own DER code"). Values are
 * PrintableString where they fit it, IA5String for emailAddress, UTF8String otherwise, as
 * openssl and @peculiar/x509 write them.
 */
export async function createCsr(privateKey: KeyObject, subject: CsrSubject): Promise<Csr> {
  if (!subject.CN) throw new CertpushError('CSR_SUBJECT', 'A CSR needs a subject common name (CN).');
  if (subject.C !== undefined && subject.C !== '' && !/^[A-Z]{2}$/.test(subject.C)) {
    throw new CertpushError('CSR_SUBJECT', `Country "${subject.C}" is not a two-letter ISO 3166 code such as US or DE.`);
  }
  if (subject.emailAddress !== undefined && !/^[\x20-\x7e]*$/.test(subject.emailAddress)) {
    throw new CertpushError('CSR_SUBJECT', `The email address "${subject.emailAddress}" has characters outside ASCII, which a certificate's emailAddress (an IA5String) cannot hold.`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new CertpushError('CSR_KEY_TYPE', 'A CSR for Apple\'s push certificate needs an RSA key.');
  const spki = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const info = derTlv(0x30,
    derTlv(0x02, Buffer.from([0])), // version 1
    encodeName({ CN: subject.CN, O: subject.O, OU: subject.OU, C: subject.C, emailAddress: subject.emailAddress }),
    spki,
    derTlv(0xa0)); // no attributes
  const signature = crypto.sign('sha256', info, privateKey);
  return parseCsr(derTlv(0x30, info, SHA256_WITH_RSA, derTlv(0x03, Buffer.from([0]), signature)));
}

/**
 * A CSR from PEM (`CERTIFICATE REQUEST`) or DER. Read by a DER walk (RFC 2986):
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }.
 */
export function parseCsr(input: Uint8Array | string): Csr {
  const der = pemOrDer(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], 'a certificate signing request');
  try {
    const request = expectTlv(der, 0, der.length, 0x30, 'the request');
    const [infoTlv, algorithm, signature, extra] = childrenOf(der, request, 'the request');
    if (extra) throw new DerError('the request holds more than a request info, a signature algorithm and a signature');
    // CertificationRequestInfo ::= SEQUENCE { version INTEGER, subject Name, subjectPKInfo, attributes [0] }
    const info = expectTag(infoTlv, 0x30, 'the request info');
    const [version, name, spki] = childrenOf(der, info, 'the request info');
    expectTag(version, 0x02, 'the request version');
    const subject = readNameDer(der, name, 'the subject name');
    const spkiTlv = expectTag(spki, 0x30, 'the public key');
    const publicKey = crypto.createPublicKey({ key: Buffer.from(der.subarray(spkiTlv.start, spkiTlv.end)), format: 'der', type: 'spki' });
    const signatureAlgorithm = readSignatureAlgorithm(der, expectTag(algorithm, 0x30, 'the signature algorithm'), 'the signature algorithm');
    const bits = contentOf(der, expectTag(signature, 0x03, 'the signature'));
    if (bits.length < 2 || bits[0] !== 0) throw new DerError('the signature is not a whole number of bytes');
    return {
      der,
      subject,
      commonName: nameField(subject, 'CN'),
      publicKey: { ...describeKey(publicKey), spki: publicKey.export({ format: 'der', type: 'spki' }) },
      signatureAlgorithm,
      signed: { tbs: Buffer.from(der.subarray(info.start, info.end)), hash: NODE_HASHES[signatureAlgorithm] ?? null, signature: Buffer.from(bits.subarray(1)) },
    };
  } catch (error) {
    throw new CertpushError('CSR_UNPARSABLE', `The data is not a valid PKCS#10 certificate signing request (${(error as Error).message}). Generate the CSR again (certpush mdm csr, or openssl req -new) and pass the .csr file.`, { cause: error });
  }
}

/** The hash Node's one-shot verify needs, for the signature algorithms it verifies without parameters. */
const NODE_HASHES: Record<string, string> = {
  'RSASSA-PKCS1-v1_5/SHA-1': 'sha1', 'RSASSA-PKCS1-v1_5/SHA-256': 'sha256', 'RSASSA-PKCS1-v1_5/SHA-384': 'sha384', 'RSASSA-PKCS1-v1_5/SHA-512': 'sha512',
  'ECDSA/SHA-1': 'sha1', 'ECDSA/SHA-256': 'sha256', 'ECDSA/SHA-384': 'sha384', 'ECDSA/SHA-512': 'sha512',
};

/** True when the CSR's self-signature verifies with its own public key (proof of possession). */
export async function verifyCsrSignature(csr: Csr): Promise<boolean> {
  try {
    // Node's one-shot verify is ~15× faster than going through WebCrypto; keep WebCrypto for
    // algorithms Node's verify cannot name (RSA-PSS parameters and the like).
    const { tbs, hash, signature } = csr.signed;
    if (hash && (csr.publicKey.type === 'rsa' || csr.publicKey.type === 'ec')) {
      const key = crypto.createPublicKey({ key: csr.publicKey.spki, format: 'der', type: 'spki' });
      return crypto.verify(hash, tbs, key, signature);
    }
    const { x509 } = await loadX509();
    return await new x509.Pkcs10CertificateRequest(csr.der).verify();
  } catch {
    return false;
  }
}

/** Canonical PEM of a CSR. */
export function csrToPem(csr: Csr): string {
  return toPem('CERTIFICATE REQUEST', csr.der);
}
