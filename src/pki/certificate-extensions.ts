import { childrenOf, contentOf, DerError, readOid, soleElement, type Tlv, toHex } from './der.ts';

/** The extensions certpush reads (RFC 5280, section 4.2.1), by OID. */
export const EXTENSION_OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
} as const;

const KEY_USAGE_NAMES = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement',
  'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
] as const;

const EXTENDED_KEY_USAGE_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

/** KeyUsage ::= BIT STRING; bit 0 (the first byte's high bit) is digitalSignature. */
export function keyUsageNames(value: Uint8Array): string[] {
  const bits = soleElement(value, 0x03, 'the key usage');
  const bytes = contentOf(value, bits);
  if (bytes.length === 0 || bytes[0]! > 7) throw new DerError('the key usage is not a valid BIT STRING');
  return KEY_USAGE_NAMES.filter((_, bit) => ((bytes[1 + (bit >> 3)] ?? 0) & (0x80 >> (bit & 7))) !== 0);
}

/** ExtKeyUsageSyntax ::= SEQUENCE OF KeyPurposeId: names for well-known purposes, OIDs for the rest. */
export function extendedKeyUsageNames(value: Uint8Array): string[] {
  const list = soleElement(value, 0x30, 'the extended key usage');
  return childrenOf(value, list, 'the extended key usage').map((purpose) => {
    const oid = readOid(value, purpose, 'an extended key usage');
    return EXTENDED_KEY_USAGE_NAMES[oid] ?? oid;
  });
}

/** SubjectKeyIdentifier ::= OCTET STRING, as lowercase hex. */
export function subjectKeyId(value: Uint8Array): string {
  return toHex(contentOf(value, soleElement(value, 0x04, 'the subject key identifier')));
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, … }. */
export function authorityKeyId(value: Uint8Array): string | null {
  const sequence = soleElement(value, 0x30, 'the authority key identifier');
  const keyId = childrenOf(value, sequence, 'the authority key identifier').find((part) => part.tag === 0x80);
  return keyId ? toHex(contentOf(value, keyId)) : null;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }. */
export function basicConstraints(value: Uint8Array): { isCa: boolean; pathLength: number | null } {
  const sequence = soleElement(value, 0x30, 'the basic constraints');
  let isCa = false;
  let pathLength: number | null = null;
  for (const part of childrenOf(value, sequence, 'the basic constraints')) {
    if (part.tag === 0x01 && part.end - part.contentStart === 1) isCa = value[part.contentStart] !== 0;
    else if (part.tag === 0x02) pathLength = smallInteger(value, part, 'the path length');
    else throw new DerError('the basic constraints hold an element that is neither cA nor a path length');
  }
  return { isCa, pathLength };
}

function smallInteger(der: Uint8Array, tlv: Tlv, what: string): number {
  const bytes = contentOf(der, tlv);
  if (bytes.length === 0 || bytes.length > 4 || (bytes[0]! & 0x80) !== 0) throw new DerError(`${what} is not a small non-negative INTEGER`);
  return bytes.reduce((n, byte) => n * 256 + byte, 0);
}
