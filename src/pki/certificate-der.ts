import { childrenOf, contentOf, DerError, expectTag, expectTlv, readOid, type Tlv, toHex } from './der.ts';
import { type DistinguishedName, readNameDer } from './name.ts';
import { readSignatureAlgorithm } from './signature-algorithm.ts';

/**
 * The fields of an X.509 certificate that certpush reads, straight from its DER (RFC 5280,
 * section 4.1). A whole parse (OpenSSL's, this walk, the public key) now costs ~0.24 ms where a
 * schema-driven ASN.1 library took ~2 ms, and a worker that starts cold reads every tenant's
 * push certificate (README: Design, "Deviation — certificates and CSRs are read, and CSRs
 * written, by certpush's own DER code"). OpenSSL (Node's `X509Certificate`) has accepted the
 * certificate before this runs; the walk still checks every element it reads and throws a
 * DerError naming the first one that does not fit.
 */
export interface CertificateFields {
  /** Lowercase hex, without the 00 that DER puts before a first byte over 0x7f (as openssl shows it). */
  serialNumber: string;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  /** The outer signature algorithm's readable name ("RSASSA-PKCS1-v1_5/SHA-256"). */
  signatureAlgorithm: string;
  /** Extensions by OID: the DER inside each one's extnValue OCTET STRING. */
  extensions: Map<string, Uint8Array>;
}

const SEQUENCE = 0x30;

export function readCertificateDer(der: Uint8Array): CertificateFields {
  const certificate = expectTlv(der, 0, der.length, SEQUENCE, 'the certificate');
  const [tbs, algorithm] = childrenOf(der, certificate, 'the certificate');
  const parts = childrenOf(der, expectTag(tbs, SEQUENCE, 'the to-be-signed certificate'), 'the to-be-signed certificate');
  let i = 0;
  if (parts[i]?.tag === 0xa0) i++; // version [0] EXPLICIT, absent for v1
  const serial = expectTag(parts[i++], 0x02, 'the serial number');
  expectTag(parts[i++], SEQUENCE, 'the signature algorithm');
  const issuer = readNameDer(der, parts[i++], 'the issuer name');
  const validity = childrenOf(der, expectTag(parts[i++], SEQUENCE, 'the validity'), 'the validity');
  if (validity.length !== 2) throw new DerError('the validity is not a start and an end time');
  const subject = readNameDer(der, parts[i++], 'the subject name');
  expectTag(parts[i++], SEQUENCE, 'the subject public key'); // read by OpenSSL (Node's KeyObject)
  const extensions = new Map<string, Uint8Array>();
  for (; i < parts.length; i++) {
    const part = parts[i]!;
    // issuerUniqueID [1] and subjectUniqueID [2] (v2) are skipped; extensions are [3] EXPLICIT.
    if (part.tag === 0x81 || part.tag === 0x82 || part.tag === 0xa1 || part.tag === 0xa2) continue;
    expectTag(part, 0xa3, 'the extensions');
    const list = expectTlv(der, part.contentStart, part.end, SEQUENCE, 'the extensions');
    for (const extension of childrenOf(der, list, 'the extensions')) readExtension(der, extension, extensions);
  }
  const serialBytes = contentOf(der, serial);
  if (serialBytes.length === 0) throw new DerError('the serial number is empty');
  const serialPadded = serialBytes.length > 1 && serialBytes[0] === 0 && (serialBytes[1]! & 0x80) !== 0;
  return {
    serialNumber: toHex(serialPadded ? serialBytes.subarray(1) : serialBytes),
    issuer,
    subject,
    notBefore: readTime(der, validity[0]!, 'the start of the validity'),
    notAfter: readTime(der, validity[1]!, 'the end of the validity'),
    signatureAlgorithm: readSignatureAlgorithm(der, expectTag(algorithm, SEQUENCE, 'the signature algorithm'), 'the signature algorithm'),
    extensions,
  };
}

function readExtension(der: Uint8Array, extension: Tlv, into: CertificateFields['extensions']): void {
  const [id, second, third] = childrenOf(der, expectTag(extension, SEQUENCE, 'an extension'), 'an extension');
  if (!id || !second) throw new DerError('an extension has no identifier or no value');
  const oid = readOid(der, id, 'an extension identifier');
  // With three elements the second is the critical flag (certpush reads no extension differently for it).
  if (third && (second.tag !== 0x01 || second.end - second.contentStart !== 1)) throw new DerError(`extension ${oid}'s critical flag is not a BOOLEAN`);
  const value = third ?? second;
  expectTag(value, 0x04, `extension ${oid}'s value`);
  if (into.has(oid)) throw new DerError(`extension ${oid} appears twice (RFC 5280 allows one of each)`);
  into.set(oid, contentOf(der, value));
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Time ::= UTCTime | GeneralizedTime, in RFC 5280's DER forms: UTC ("Z"), with seconds; a
 * UTCTime's two-digit year is 1950–2049. A fraction of a second is accepted and dropped.
 */
function readTime(der: Uint8Array, tlv: Tlv, what: string): Date {
  const text = Buffer.from(contentOf(der, tlv)).toString('latin1');
  const match = tlv.tag === 0x17 ? UTC_TIME.exec(text) : tlv.tag === 0x18 ? GENERALIZED_TIME.exec(text) : null;
  if (!match) throw new DerError(`${what} is not a UTCTime or GeneralizedTime in UTC ("${text.slice(0, 20)}")`);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fullYear = tlv.tag === 0x17 ? (year < 50 ? 2000 + year : 1900 + year) : year;
  const date = new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
  // Date.UTC rolls over (month 13, day 32, second 60): a time that does not read back is not a time.
  if (date.getUTCFullYear() !== fullYear || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || date.getUTCHours() !== hour || date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second) {
    throw new DerError(`${what} is not a valid date and time ("${text}")`);
  }
  return date;
}
