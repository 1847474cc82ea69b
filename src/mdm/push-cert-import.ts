import type { KeyObject } from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { type Certificate, parseCertificateDer, validityAt } from '../pki/certificate.ts';
import { parseCsr } from '../pki/csr.ts';
import { error, type Finding, FindingsError, hasErrors, warning } from '../pki/finding.ts';
import { keyMatchesSpki, parsePrivateKey } from '../pki/key.ts';
import { looksLikePem, parsePem } from '../pki/pem.ts';
import { looksLikePkcs12, type Pkcs12Contents, readPkcs12 } from '../pki/pkcs12.ts';
import { readPkcs12OffThread } from '../pki/pkcs12-thread.ts';
import { type AppleIssuer, appleIssuerOf, claimsAppleIssuer } from './apple-cas.ts';
import { REQUEST_KEYS } from './request-plist.ts';

/** The prefix of every MDM push topic: Apple puts the topic in the push certificate's subject UID. */
export const MDM_TOPIC_PREFIX = 'com.apple.mgmt.External.';

/** What a tenant uploaded, read: the push certificate, and its key when the file carried one. */
export interface ImportCandidate {
  certificate: Certificate;
  /** Present when the upload (PKCS#12, or PEM with a key block) came with a private key. */
  privateKey?: KeyObject;
  /** Other certificates that came with it (issuer chain), in file order. */
  chain?: Certificate[];
}

export interface ImportContext {
  /** The key certpush generated for this tenant's CSR (the pending one during renewal, else the current). */
  expectedKeySpki: Buffer;
  /** The tenant's current active certificate, when this is a renewal. */
  current?: Certificate | null;
  /** Replace even if the topic differs (the tenant accepted that enrolled devices stop answering). */
  force?: boolean;
  now?: Date;
}

export interface ImportDecision {
  /** The APNs topic MDM pushes go to: the certificate's subject UID. */
  topic: string;
  notAfter: Date;
  environment: 'production' | 'development' | 'both' | 'unknown';
  /** Warnings only: a decision is returned only when there are no errors. */
  findings: Finding[];
  renewal: boolean;
  topicChanged: boolean;
  /** Whether the certificate chains to Apple's CAs (AAI2 → Apple Inc. Root today), and through which. */
  issuer: AppleIssuer;
}

const UPLOAD_HELP = 'Upload the MDM push certificate Apple\'s Push Certificates Portal issued (MDM_…_Certificate.pem), as PEM, DER (.cer) or PKCS#12 (.p12 with its password).';
const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);
const BASE64_TEXT = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

/**
 * Read what a tenant uploaded as its MDM push certificate: PEM (which may also hold the key and
 * the issuer chain), DER, or PKCS#12 (needs `password`; an empty password is tried when none is
 * given). A string without PEM markers is taken as Base64 of DER or PKCS#12, as JSON APIs carry
 * binary files. Throws CertpushError (PUSH_CERT_UNREADABLE, PUSH_CERT_MISSING, P12_* …) for
 * anything else.
 *
 * @example
 * const candidate = readUploadedPushCertificate(fs.readFileSync('MDM_Acme_Certificate.pem'), {});
 * candidate.certificate.uid // 'com.apple.mgmt.External.8f3c…'
 */
export function readUploadedPushCertificate(input: Uint8Array | string, options: { password?: string } = {}): ImportCandidate {
  refuseWrongFile(input);
  if (looksLikePem(input)) return fromPem(input, options.password);
  const bytes = typeof input === 'string' ? decodeBase64Upload(input) : input;
  if (looksLikePkcs12(bytes)) return fromPkcs12(bytes, options.password);
  try {
    return { certificate: parseCertificateDer(bytes) };
  } catch (cause) {
    if (isCsrDer(bytes)) throw csrUploaded('(DER)');
    throw new CertpushError('PUSH_CERT_UNREADABLE', `The upload is not a certificate certpush can read (neither PEM, DER nor PKCS#12). ${UPLOAD_HELP}`, { cause });
  }
}

/**
 * Name the files people upload by mistake before reading them as a certificate: nothing at
 * all, and the push certificate *request* (the Base64 plist from vendor-sign, or its XML) —
 * read as PEM, its chain's first certificate is the vendor's, which would be refused as "not an
 * MDM certificate" and "key mismatch", explaining nothing.
 */
function refuseWrongFile(input: Uint8Array | string): void {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.trim() === '') throw new CertpushError('PUSH_CERT_UNREADABLE', `The upload is empty. ${UPLOAD_HELP}`);
  const compact = text.replace(/\s+/g, '');
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(compact) ? Buffer.from(compact, 'base64').toString('latin1') : '';
  if (text.includes(REQUEST_KEYS.csr) || decoded.includes(REQUEST_KEYS.csr)) {
    throw new CertpushError('PUSH_CERT_IS_REQUEST', 'This is the push certificate request (the .b64 file certpush made for the CSR), which you upload to Apple at https://identity.apple.com/pushcert — not the certificate Apple issues. Upload the request there, download the MDM_…_Certificate.pem Apple gives back, and upload that here.');
  }
}

function isCsrDer(bytes: Uint8Array): boolean {
  try {
    parseCsr(bytes);
    return true;
  } catch {
    return false;
  }
}

function csrUploaded(form: string): CertpushError {
  return new CertpushError('PUSH_CERT_MISSING', `The upload is a certificate signing request ${form}, not a certificate: the CSR goes to your MDM vendor to sign and then to Apple; upload the certificate Apple issues for it. ${UPLOAD_HELP}`);
}

/**
 * `readUploadedPushCertificate` for a server: a PKCS#12 upload is read in a worker thread, as
 * its key derivation (the uploader picks the iteration count, up to the limit) may take seconds
 * of CPU that must not hold the event loop.
 */
export async function readUploadedPushCertificateOffThread(input: Uint8Array | string, options: { password?: string } = {}): Promise<ImportCandidate> {
  refuseWrongFile(input);
  if (!looksLikePem(input)) {
    const bytes = typeof input === 'string' ? decodeBase64Upload(input) : input;
    if (bytes.length > 0 && looksLikePkcs12(bytes)) {
      let contents;
      try {
        contents = await readPkcs12OffThread(bytes, options.password ?? '');
      } catch (e) {
        throw pkcs12Error(e, options.password);
      }
      return fromPkcs12Contents(contents);
    }
  }
  return readUploadedPushCertificate(input, options);
}

function decodeBase64Upload(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed === '' || !BASE64_TEXT.test(trimmed)) {
    throw new CertpushError('PUSH_CERT_UNREADABLE', `The upload is text but not a PEM certificate ("-----BEGIN CERTIFICATE-----" is missing) nor Base64. ${UPLOAD_HELP}`);
  }
  return Buffer.from(trimmed.replace(/\s+/g, ''), 'base64');
}

function fromPem(input: Uint8Array | string, password: string | undefined): ImportCandidate {
  const blocks = parsePem(input);
  const certificates = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => parseCertificateDer(b.der));
  if (certificates.length === 0) {
    if (blocks.some((b) => b.label.includes('CERTIFICATE REQUEST'))) throw csrUploaded('(PEM "CERTIFICATE REQUEST")');
    const seen = blocks.map((b) => b.label).join(', ') || 'none';
    throw new CertpushError('PUSH_CERT_MISSING', `The upload holds no certificate (found PEM blocks: ${seen}). ${UPLOAD_HELP}`);
  }
  let privateKey: KeyObject | undefined;
  if (blocks.some((b) => KEY_LABELS.has(b.label))) {
    try {
      // The whole text, not the block: legacy encrypted PEM keeps its cipher in block headers.
      privateKey = parsePrivateKey(input, password);
    } catch (e) {
      if (e instanceof CertpushError && e.code === 'KEY_PASSPHRASE_REQUIRED') {
        throw new CertpushError('PUSH_CERT_KEY_ENCRYPTED', 'The upload includes an encrypted private key: give its password, or upload the certificate alone (certpush already holds the key it generated for the CSR).', { cause: e });
      }
      throw e;
    }
  }
  return pickPushCertificate(certificates, privateKey);
}

function fromPkcs12(der: Uint8Array, password: string | undefined): ImportCandidate {
  let contents;
  try {
    contents = readPkcs12(der, password ?? '');
  } catch (e) {
    throw pkcs12Error(e, password);
  }
  return fromPkcs12Contents(contents);
}

// Without a password only an unprotected (empty-password) file opens: say what is missing.
function pkcs12Error(e: unknown, password: string | undefined): unknown {
  if (password === undefined && e instanceof CertpushError && e.code === 'P12_WRONG_PASSWORD') {
    return new CertpushError('P12_PASSWORD_REQUIRED', 'The upload is a PKCS#12 (.p12) file protected by a password: give the password it was exported with.', { cause: e });
  }
  return e;
}

function fromPkcs12Contents(contents: Pkcs12Contents): ImportCandidate {
  if (contents.certificates.length === 0) {
    throw new CertpushError('PUSH_CERT_MISSING', `The PKCS#12 file holds no certificate. ${UPLOAD_HELP}`);
  }
  return pickPushCertificate(contents.certificates, contents.privateKey ?? undefined);
}

/**
 * The push certificate among several (PEM bundles and PKCS#12 may carry the chain): the one the
 * key belongs to, else the one with an MDM topic, else the first that is not a CA.
 */
function pickPushCertificate(certificates: Certificate[], privateKey: KeyObject | undefined): ImportCandidate {
  const certificate = (privateKey && certificates.find((c) => keyMatchesSpki(privateKey, c.publicKey.spki)))
    || certificates.find((c) => c.uid?.startsWith(MDM_TOPIC_PREFIX))
    || certificates.find((c) => !c.isCa)
    || certificates[0]!;
  const chain = certificates.filter((c) => c !== certificate);
  return { certificate, ...(privateKey ? { privateKey } : {}), ...(chain.length > 0 ? { chain } : {}) };
}

/**
 * Decide whether `candidate` may become the tenant's MDM push certificate. Checks that it was
 * issued for the CSR certpush generated (key match), that it is an MDM push certificate (topic
 * `com.apple.mgmt.External.…`), that it is valid now, and on renewal that the topic is unchanged —
 * a new topic silently strands every enrolled device, so it is refused unless `force`.
 * Throws FindingsError (PUSH_CERT_REFUSED) listing every error; returns warnings otherwise.
 *
 * @example
 * const decision = checkPushCertificateImport(candidate, { expectedKeySpki: spkiOf(tenantKey), current });
 * decision.topic // 'com.apple.mgmt.External.8f3c…'
 */
export function checkPushCertificateImport(candidate: ImportCandidate, context: ImportContext): ImportDecision {
  const now = context.now ?? new Date();
  const cert = candidate.certificate;
  const current = context.current ?? null;
  const isMdm = cert.uid?.startsWith(MDM_TOPIC_PREFIX) === true;
  const findings: Finding[] = [
    ...keyFindings(candidate, context.expectedKeySpki),
    ...(isMdm ? [] : [notMdmFinding(cert)]),
    ...validityFindings(cert, now),
    ...clientAuthFindings(cert),
  ];
  const issuer = appleIssuerOf(cert, candidate.chain ?? []);
  if (!issuer.apple && claimsAppleIssuer(cert)) {
    // Named after an Apple CA, yet that CA's key did not sign it: a forgery or a corrupted file.
    findings.push(error('PUSH_CERT_NOT_GENUINE', `The certificate names "${cert.issuer.text}" as its issuer, but that Apple CA's signature on it does not verify. Download the certificate again from Apple's Push Certificates Portal.`));
  }
  let topicChanged = false;
  if (current) {
    if (isMdm && cert.uid !== current.uid) {
      topicChanged = true;
      findings.push(context.force
        ? warning('PUSH_CERT_TOPIC_REPLACED', `The new certificate's topic ${cert.uid} replaces ${current.uid ?? '(none)'} as requested: devices enrolled under the old topic stop answering pushes until they are enrolled again.`)
        : error('PUSH_CERT_TOPIC_CHANGED', `The new certificate's topic ${cert.uid} differs from the current ${current.uid ?? '(none)'}: every enrolled device would stop answering pushes. Renew the existing certificate in Apple's portal (Renew, not Create) with the same Apple ID, or pass force to replace it deliberately.`));
    }
    if (cert.notAfter.getTime() <= current.notAfter.getTime()) {
      findings.push(warning('PUSH_CERT_NOT_NEWER', `The new certificate expires ${cert.notAfter.toISOString()}, not later than the current one (${current.notAfter.toISOString()}): it may be the old certificate. Renew in Apple's portal and upload the certificate it issues.`));
    }
  }
  if (hasErrors(findings)) throw FindingsError.of('PUSH_CERT_REFUSED', 'The push certificate was not imported', findings);
  return {
    topic: cert.uid!,
    notAfter: cert.notAfter,
    environment: environmentOf(cert),
    findings,
    renewal: current !== null,
    topicChanged,
    issuer,
  };
}

function keyFindings(candidate: ImportCandidate, expectedKeySpki: Buffer): Finding[] {
  const findings: Finding[] = [];
  if (!candidate.certificate.publicKey.spki.equals(expectedKeySpki)) {
    findings.push(error('PUSH_CERT_KEY_MISMATCH', 'This certificate was issued for a different CSR (its public key is not the key certpush generated for this tenant): upload the certificate Apple issued for the CSR certpush generated.'));
  }
  if (candidate.privateKey && !keyMatchesSpki(candidate.privateKey, candidate.certificate.publicKey.spki)) {
    findings.push(error('PUSH_CERT_KEY_MISMATCH', 'The private key in the upload does not belong to its certificate: export the certificate together with its own key, or upload the certificate alone.'));
  }
  return findings;
}

function notMdmFinding(cert: Certificate): Finding {
  const what = cert.uid === null
    ? `"${cert.subject.text}" has no subject UID, so it has no push topic`
    : `"${cert.subject.text}" has topic ${cert.uid}, not an MDM topic (${MDM_TOPIC_PREFIX}…)`;
  const guess = cert.commonName?.startsWith('MDM Vendor') || cert.extendedKeyUsage.includes('codeSigning')
    ? ' It looks like the vendor MDM signing certificate.'
    : cert.uid !== null ? ' It looks like an app\'s push certificate.' : '';
  return error('PUSH_CERT_NOT_MDM', `This is not an MDM push certificate: ${what}.${guess} Upload the MDM_…_Certificate.pem that Apple's Push Certificates Portal (identity.apple.com/pushcert) issued for the request.`);
}

function validityFindings(cert: Certificate, now: Date): Finding[] {
  switch (validityAt(cert, now)) {
    case 'expired':
      return [error('PUSH_CERT_EXPIRED', `The certificate expired on ${cert.notAfter.toISOString()}: renew it in Apple's Push Certificates Portal (Renew, with the same Apple ID) and upload the new certificate.`)];
    case 'not-yet-valid':
      return [error('PUSH_CERT_NOT_YET_VALID', `The certificate is not valid until ${cert.notBefore.toISOString()}: check the server's clock, or upload it once that time has passed.`)];
    default:
      return [];
  }
}

function clientAuthFindings(cert: Certificate): Finding[] {
  // APNs authenticates the provider by TLS client certificate; Apple's MDM push certificates say so.
  if (cert.extendedKeyUsage.includes('clientAuth')) return [];
  const has = cert.extendedKeyUsage.length > 0 ? `allows only ${cert.extendedKeyUsage.join(', ')}` : 'has no extended key usage';
  return [warning('PUSH_CERT_NO_CLIENT_AUTH', `The certificate ${has}, not clientAuth, which APNs connections use: check that it is the certificate Apple's portal issued.`)];
}

function environmentOf(cert: Certificate): ImportDecision['environment'] {
  const envs = cert.apnsEnvironments;
  if (envs.includes('production') && envs.includes('development')) return 'both';
  return envs[0] ?? 'unknown';
}
