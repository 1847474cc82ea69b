import { CertpushError, isCertpushError } from '../errors.ts';
import { type Certificate, describeCertificate, parseCertificate, parseCertificateDer } from './certificate.ts';
import { type Csr, parseCsr, verifyCsrSignature } from './csr.ts';
import { describeKey, keyMatchesSpki, parsePrivateKey } from './key.ts';
import { looksLikePem, parsePem, toPem } from './pem.ts';
import { looksLikePkcs12, readPkcs12 } from './pkcs12.ts';
import type { KeyObject } from 'node:crypto';

/** One thing found in a file: never includes private key material. */
export type InspectedItem =
  | { kind: 'certificate'; certificate: ReturnType<typeof describeCertificate>; matchesKey?: boolean; chainsTo?: string | null }
  | { kind: 'csr'; subject: string; commonName: string | null; publicKey: { type: string; bits: number | null }; signatureAlgorithm: string; signatureValid: boolean; matchesKey?: boolean }
  | { kind: 'private-key'; type: string; bits: number | null; curve: string | null; encrypted: boolean };

const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
// parseCertificate trims openssl's trust settings off TRUSTED CERTIFICATE blocks.
const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'TRUSTED CERTIFICATE', 'X509 CERTIFICATE']);

/**
 * Everything in a certificate-ish file: PEM bundles (certificates, CSRs, keys), DER
 * certificates and CSRs, and PKCS#12 (needs `password`). When the file holds a key, each
 * certificate and CSR says whether it matches that key; with `chainsTo`, each certificate names
 * the CA it chains to.
 */
export async function inspectFile(bytes: Uint8Array, options: { password?: string; now?: Date; chainsTo?: (cert: Certificate, others: Certificate[]) => string | null } = {}): Promise<InspectedItem[]> {
  const certs: Certificate[] = [];
  const csrs: Csr[] = [];
  const keys: KeyObject[] = [];
  let encryptedKeys = 0;
  if (looksLikePem(bytes)) {
    for (const block of parsePem(bytes)) {
      if (CERTIFICATE_LABELS.has(block.label)) certs.push(parseCertificate(toPem(block.label, block.der)));
      else if (block.label === 'CERTIFICATE REQUEST' || block.label === 'NEW CERTIFICATE REQUEST') csrs.push(parseCsr(block.der));
      else if (KEY_LABELS.has(block.label)) keys.push(parsePrivateKey(toPem(block.label, block.der)));
      else if (block.label === 'ENCRYPTED PRIVATE KEY') {
        if (options.password === undefined) encryptedKeys++;
        else keys.push(parsePrivateKey(block.der, options.password));
      } else {
        throw new CertpushError('PEM_WRONG_TYPE', `Unsupported PEM block "${block.label}": certpush reads CERTIFICATE, CERTIFICATE REQUEST and PRIVATE KEY blocks.`);
      }
    }
  } else if (looksLikePkcs12(bytes)) {
    if (options.password === undefined) {
      throw new CertpushError('P12_PASSWORD_REQUIRED', 'This is a PKCS#12 (.p12/.pfx) file: give its password with --password-file.');
    }
    const contents = readPkcs12(bytes, options.password);
    certs.push(...contents.certificates);
    if (contents.privateKey) keys.push(contents.privateKey);
  } else {
    const parsed = tryDer(bytes, options.password);
    if (!parsed) {
      throw new CertpushError('FILE_UNRECOGNIZED', 'The file is not a certificate, CSR, private key or PKCS#12 file in PEM or DER form. Check that you passed the right file.');
    }
    if ('subject' in parsed && 'x509' in parsed) certs.push(parsed);
    else if ('subject' in parsed) csrs.push(parsed);
    else keys.push(parsed);
  }
  const key = keys[0];
  const items: InspectedItem[] = [];
  for (const cert of certs) {
    items.push({
      kind: 'certificate', certificate: describeCertificate(cert, options.now),
      ...(key ? { matchesKey: keyMatchesSpki(key, cert.publicKey.spki) } : {}),
      // Which trust anchor the certificate chains to is the caller's knowledge (mdm/ knows Apple's CAs).
      ...(options.chainsTo ? { chainsTo: options.chainsTo(cert, certs.filter((c) => c !== cert)) } : {}),
    });
  }
  for (const csr of csrs) {
    items.push({
      kind: 'csr',
      subject: csr.subject.text,
      commonName: csr.commonName,
      publicKey: { type: csr.publicKey.type, bits: csr.publicKey.bits },
      signatureAlgorithm: csr.signatureAlgorithm,
      signatureValid: await verifyCsrSignature(csr),
      ...(key ? { matchesKey: keyMatchesSpki(key, csr.publicKey.spki) } : {}),
    });
  }
  for (const k of keys) items.push({ kind: 'private-key', ...describeKey(k), encrypted: false });
  for (let i = 0; i < encryptedKeys; i++) items.push({ kind: 'private-key', type: 'unknown (encrypted: give --password-file)', bits: null, curve: null, encrypted: true });
  return items;
}

function tryDer(bytes: Uint8Array, password: string | undefined): Certificate | Csr | KeyObject | null {
  for (const attempt of [
    () => parseCertificateDer(bytes),
    () => parseCsr(Buffer.from(bytes)),
    () => parsePrivateKey(Buffer.from(bytes), password),
  ]) {
    try {
      return attempt();
    } catch (error) {
      // An encrypted key is recognised as one: say a password is needed, not "unrecognised".
      if (isCertpushError(error, 'KEY_PASSPHRASE_REQUIRED')) throw error;
    }
  }
  return null;
}
