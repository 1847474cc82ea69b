import crypto, { type KeyObject } from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { type Certificate, parseCertificateDer } from './certificate.ts';
import { spkiOf } from './key.ts';
import { encodeName, type NameField } from './name.ts';
import { loadX509 } from './x509-loader.ts';

const KEY_USAGE_FLAGS = {
  digitalSignature: 1, nonRepudiation: 2, keyEncipherment: 4, dataEncipherment: 8, keyAgreement: 16,
  keyCertSign: 32, cRLSign: 64, encipherOnly: 128, decipherOnly: 256,
} as const;

const EXTENDED_KEY_USAGE_OIDS = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
} as const;

/** DER of ASN.1 NULL: the value Apple's marker extensions carry. */
const ASN1_NULL = new Uint8Array([0x05, 0x00]);

export interface IssueOptions {
  subject: Partial<Record<NameField, string>>;
  /** The subject's public key (or its private key, whose public half is used). */
  publicKey: KeyObject;
  /** Who signs: omit for a self-signed certificate, which `selfSigningKey` then signs. */
  issuer?: { certificate: Certificate; privateKey: KeyObject };
  selfSigningKey?: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** Hex; random 16 bytes (positive) when omitted. */
  serialNumber?: string;
  isCa?: boolean;
  pathLength?: number;
  keyUsage?: Array<keyof typeof KEY_USAGE_FLAGS>;
  extendedKeyUsage?: Array<keyof typeof EXTENDED_KEY_USAGE_OIDS>;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Extra extensions whose value is ASN.1 NULL, marked by OID (e.g. Apple's APNs environment markers). */
  markerExtensions?: string[];
}

/**
 * Issue an X.509 v3 certificate signed with SHA256withRSA. Used by the simulators' test PKI and
 * the Apple-portal stand-in; production certificates come from real CAs.
 */
export async function issueCertificate(options: IssueOptions): Promise<Certificate> {
  const signer = options.issuer?.privateKey ?? options.selfSigningKey;
  if (!signer) throw new CertpushError('ISSUE_NO_SIGNER', 'issueCertificate needs an issuer, or a selfSigningKey for a self-signed certificate.');
  if (signer.asymmetricKeyType !== 'rsa') throw new CertpushError('ISSUE_KEY_TYPE', 'Only RSA issuer keys are supported for issuing certificates.');
  const subjectSpki = spkiOf(options.publicKey);
  const issuerSpki = options.issuer ? options.issuer.certificate.publicKey.spki : spkiOf(signer);
  const { x509, RSA_SHA256 } = await loadX509();

  const extensions: InstanceType<typeof x509.Extension>[] = [
    new x509.BasicConstraintsExtension(options.isCa ?? false, options.pathLength, true),
    await x509.SubjectKeyIdentifierExtension.create(subjectSpki),
    await x509.AuthorityKeyIdentifierExtension.create(issuerSpki),
  ];
  if (options.keyUsage?.length) {
    extensions.push(new x509.KeyUsagesExtension(options.keyUsage.reduce((flags, u) => flags | KEY_USAGE_FLAGS[u], 0), true));
  }
  if (options.extendedKeyUsage?.length) {
    extensions.push(new x509.ExtendedKeyUsageExtension(options.extendedKeyUsage.map((u) => EXTENDED_KEY_USAGE_OIDS[u])));
  }
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (altNames.length) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  for (const oid of options.markerExtensions ?? []) extensions.push(new x509.Extension(oid, false, ASN1_NULL));

  // certpush's own name encoder, as for CSRs: values literal (the library's JSON names unescape
  // quotes and backslashes and read a leading # as hex).
  const subjectName = new x509.Name(encodeName(options.subject));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? randomSerial(),
    subject: subjectName,
    // The issuer name is copied as encoded in the issuer's certificate: chain building compares names.
    issuer: options.issuer ? new x509.X509Certificate(options.issuer.certificate.der).subjectName : subjectName,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: subjectSpki,
    signingKey: signer.toCryptoKey(RSA_SHA256, false, ['sign']),
    signingAlgorithm: RSA_SHA256,
    extensions,
  });
  return parseCertificateDer(Buffer.from(certificate.rawData));
}

function randomSerial(): string {
  const bytes = crypto.randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // keep it positive: DER INTEGERs are signed
  return bytes.toString('hex');
}
