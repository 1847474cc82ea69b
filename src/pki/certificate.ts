import crypto from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { readCertificateDer } from './certificate-der.ts';
import { authorityKeyId, basicConstraints, EXTENSION_OIDS, extendedKeyUsageNames, keyUsageNames, subjectKeyId } from './certificate-extensions.ts';
import { readTlv } from './der.ts';
import { describeKey, type KeyInfo } from './key.ts';
import { type DistinguishedName, nameField } from './name.ts';
import { ownCopy } from './own-copy.ts';
import { looksLikePem, parsePem, pemOrDer, toPem } from './pem.ts';

/** Apple's APNs environment extensions in push certificates. */
export const APNS_ENVIRONMENT_OIDS = {
  development: '1.2.840.113635.100.6.3.1',
  production: '1.2.840.113635.100.6.3.2',
} as const;

export type ApnsEnvironment = keyof typeof APNS_ENVIRONMENT_OIDS;

/**
 * An X.509 certificate, parsed once into plain fields. `x509` is Node's own object,
 * used for signature checks.
 */
export interface Certificate {
  der: Buffer;
  subject: DistinguishedName;
  issuer: DistinguishedName;
  commonName: string | null;
  /** Subject UID (0.9.2342.19200300.100.1.1): the APNs topic of an MDM push certificate. */
  uid: string | null;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER, lowercase hex. */
  fingerprintSha256: string;
  keyUsage: string[];
  /** Names for well-known purposes (clientAuth, …), dotted OIDs for the rest. */
  extendedKeyUsage: string[];
  subjectKeyId: string | null;
  authorityKeyId: string | null;
  isCa: boolean;
  pathLength: number | null;
  publicKey: KeyInfo & { spki: Buffer };
  signatureAlgorithm: string;
  apnsEnvironments: ApnsEnvironment[];
  selfIssued: boolean;
  x509: crypto.X509Certificate;
}

/**
 * Parsed certificates by SHA-256 of their DER. Parsing costs ~0.2 ms (OpenSSL's parse, the DER
 * walk, the public key) and
 * the same few certificates — a vendor chain, an Apple root — are parsed for every request a
 * signer or verifier handles. Parsing is a pure function of the bytes, so sharing is safe;
 * Certificate values must be treated as read-only.
 */
const parsedCache = new Map<string, Certificate>();
const PARSED_CACHE_SIZE = 256;

/** Parse one DER-encoded certificate. */
export function parseCertificateDer(der: Uint8Array): Certificate {
  const fingerprint = crypto.hash('sha256', der, 'hex');
  const cached = parsedCache.get(fingerprint);
  if (cached) {
    parsedCache.delete(fingerprint);
    parsedCache.set(fingerprint, cached);
    return cached;
  }
  const parsed = parseUncached(der, fingerprint);
  parsedCache.set(fingerprint, parsed);
  if (parsedCache.size > PARSED_CACHE_SIZE) parsedCache.delete(parsedCache.keys().next().value!);
  return parsed;
}

function parseUncached(der: Uint8Array, fingerprint: string): Certificate {
  let node: crypto.X509Certificate;
  try {
    node = new crypto.X509Certificate(der);
  } catch (error) {
    throw new CertpushError('CERT_UNPARSABLE', 'The data is not a valid X.509 certificate (DER could not be decoded). Check that the file is a certificate in PEM or DER form, not a key or a CSR.', { cause: error });
  }
  // OpenSSL accepting the outer structure is no promise that names, extensions and the key decode too.
  try {
    const fields = readCertificateDer(der);
    const basic = fields.extensions.get(EXTENSION_OIDS.basicConstraints);
    const keyUsage = fields.extensions.get(EXTENSION_OIDS.keyUsage);
    const eku = fields.extensions.get(EXTENSION_OIDS.extendedKeyUsage);
    const ski = fields.extensions.get(EXTENSION_OIDS.subjectKeyIdentifier);
    const aki = fields.extensions.get(EXTENSION_OIDS.authorityKeyIdentifier);
    const constraints = basic ? basicConstraints(basic) : { isCa: false, pathLength: null };
    const publicKey = node.publicKey; // a new KeyObject on each read
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    return {
      // Kept in the cache for as long as the certificate is in use: its own bytes, not a pool slab's.
      der: ownCopy(der),
      subject: fields.subject,
      issuer: fields.issuer,
      commonName: nameField(fields.subject, 'CN'),
      uid: nameField(fields.subject, 'UID'),
      serialNumber: fields.serialNumber,
      notBefore: fields.notBefore,
      notAfter: fields.notAfter,
      fingerprintSha256: fingerprint,
      keyUsage: keyUsage ? keyUsageNames(keyUsage) : [],
      extendedKeyUsage: eku ? extendedKeyUsageNames(eku) : [],
      subjectKeyId: ski ? subjectKeyId(ski) : null,
      authorityKeyId: aki ? authorityKeyId(aki) : null,
      isCa: constraints.isCa,
      pathLength: constraints.pathLength,
      publicKey: { ...describeKey(publicKey), spki },
      signatureAlgorithm: fields.signatureAlgorithm,
      apnsEnvironments: (Object.keys(APNS_ENVIRONMENT_OIDS) as ApnsEnvironment[]).filter((env) => fields.extensions.has(APNS_ENVIRONMENT_OIDS[env])),
      selfIssued: fields.subject.text === fields.issuer.text,
      x509: node,
    };
  } catch (error) {
    throw new CertpushError('CERT_UNPARSABLE', `The certificate is malformed: its names, extensions or public key could not be decoded (${(error as Error).message}). Get a fresh copy of the certificate from its issuer.`, { cause: error });
  }
}

/** One certificate from PEM (the first CERTIFICATE block) or DER. */
export function parseCertificate(input: Uint8Array | string): Certificate {
  const der = pemOrDer(input, ['CERTIFICATE', 'TRUSTED CERTIFICATE', 'X509 CERTIFICATE'], 'a certificate');
  // openssl's "TRUSTED CERTIFICATE" appends trust settings after the certificate: they are not
  // part of it (nor of its fingerprint).
  const outer = readTlv(der);
  return parseCertificateDer(outer && outer.end < der.length ? der.subarray(0, outer.end) : der);
}

/** Every certificate in a PEM bundle (in file order), or the one certificate of a DER file. */
export function parseCertificates(input: Uint8Array | string): Certificate[] {
  if (!looksLikePem(input)) return [parseCertificate(input)];
  const blocks = parsePem(input).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) {
    throw new CertpushError('PEM_WRONG_TYPE', 'Expected one or more "CERTIFICATE" PEM blocks but found none. Check that you passed the certificate file.');
  }
  return blocks.map((b) => parseCertificateDer(b.der));
}

/** Canonical PEM of a certificate (64-character lines, trailing newline). */
export function certificateToPem(cert: Certificate): string {
  return toPem('CERTIFICATE', cert.der);
}

/** Whole days from `now` until the certificate expires (negative once expired). */
export function daysLeft(cert: Certificate, now: Date = new Date()): number {
  return Math.floor((cert.notAfter.getTime() - now.getTime()) / 86_400_000);
}

/** Validity at `now`: 'valid', 'not-yet-valid' or 'expired'. */
export function validityAt(cert: Certificate, now: Date = new Date()): 'valid' | 'not-yet-valid' | 'expired' {
  if (now < cert.notBefore) return 'not-yet-valid';
  if (now > cert.notAfter) return 'expired';
  return 'valid';
}

/** True when `issuer`'s key verifies `cert`'s signature. */
export function isSignedBy(cert: Certificate, issuer: Certificate): boolean {
  try {
    return cert.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/** A JSON-friendly summary (dates as ISO strings, no Node objects or buffers). */
export function describeCertificate(cert: Certificate, now: Date = new Date()) {
  return {
    subject: cert.subject.text,
    issuer: cert.issuer.text,
    commonName: cert.commonName,
    uid: cert.uid,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    validity: validityAt(cert, now),
    daysLeft: daysLeft(cert, now),
    fingerprintSha256: cert.fingerprintSha256,
    keyUsage: cert.keyUsage,
    extendedKeyUsage: cert.extendedKeyUsage,
    subjectKeyId: cert.subjectKeyId,
    authorityKeyId: cert.authorityKeyId,
    isCa: cert.isCa,
    publicKey: { type: cert.publicKey.type, bits: cert.publicKey.bits, curve: cert.publicKey.curve },
    signatureAlgorithm: cert.signatureAlgorithm,
    apnsEnvironments: cert.apnsEnvironments,
  };
}
