import crypto, { type KeyObject } from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { describeKey, type KeyInfo } from './key.ts';
import { buildName, type DistinguishedName, nameField, readName } from './name.ts';
import { firstElementOfSequence } from './der.ts';
import { pemOrDer, toPem } from './pem.ts';
import { algorithmName, RSA_SHA256, x509 } from './x509.ts';

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

/** Create a SHA-256 PKCS#10 CSR for `privateKey` (RSA). */
export async function createCsr(privateKey: KeyObject, subject: CsrSubject): Promise<Csr> {
  if (!subject.CN) throw new CertpushError('CSR_SUBJECT', 'A CSR needs a subject common name (CN).');
  if (subject.C !== undefined && subject.C !== '' && !/^[A-Z]{2}$/.test(subject.C)) {
    throw new CertpushError('CSR_SUBJECT', `Country "${subject.C}" is not a two-letter ISO 3166 code such as US or DE.`);
  }
  const publicKey = crypto.createPublicKey(privateKey);
  const keys = {
    privateKey: privateKey.toCryptoKey(RSA_SHA256, false, ['sign']),
    publicKey: publicKey.toCryptoKey(RSA_SHA256, true, ['verify']),
  } as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: buildName({ CN: subject.CN, O: subject.O, OU: subject.OU, C: subject.C, emailAddress: subject.emailAddress }),
    keys,
    signingAlgorithm: RSA_SHA256,
  });
  return parseCsr(Buffer.from(request.rawData));
}

/** A CSR from PEM (`CERTIFICATE REQUEST`) or DER. */
export function parseCsr(input: Uint8Array | string): Csr {
  const der = pemOrDer(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], 'a certificate signing request');
  let request: x509.Pkcs10CertificateRequest;
  let publicKey: KeyObject;
  try {
    request = new x509.Pkcs10CertificateRequest(der);
    publicKey = crypto.createPublicKey({ key: Buffer.from(request.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (error) {
    throw new CertpushError('CSR_UNPARSABLE', 'The data is not a valid PKCS#10 certificate signing request. Generate the CSR again (certpush mdm csr, or openssl req -new) and pass the .csr file.', { cause: error });
  }
  const subject = readName(request.subjectName);
  const hash = (request.signatureAlgorithm as { hash?: { name?: string } }).hash?.name;
  const tbs = firstElementOfSequence(der);
  return {
    der,
    subject,
    commonName: nameField(subject, 'CN'),
    publicKey: { ...describeKey(publicKey), spki: publicKey.export({ format: 'der', type: 'spki' }) },
    signatureAlgorithm: algorithmName(request.signatureAlgorithm as { name: string; hash?: unknown }),
    signed: { tbs: Buffer.from(tbs ?? []), hash: hash && tbs ? hash.replace('-', '').toLowerCase() : null, signature: Buffer.from(request.signature) },
  };
}

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
    return await new x509.Pkcs10CertificateRequest(csr.der).verify();
  } catch {
    return false;
  }
}

/** Canonical PEM of a CSR. */
export function csrToPem(csr: Csr): string {
  return toPem('CERTIFICATE REQUEST', csr.der);
}
