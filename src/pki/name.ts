import { childrenOf, contentOf, DerError, expectTag, readOid, type Tlv, toHex } from './der.ts';
import { derOid, derTlv } from './der-write.ts';

/** Object identifiers of the name attributes certpush reads and writes. */
export const NAME_OIDS = {
  CN: '2.5.4.3',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  emailAddress: '1.2.840.113549.1.9.1',
  /** userId — Apple puts the MDM push topic here (com.apple.mgmt.External.<uuid>). */
  UID: '0.9.2342.19200300.100.1.1',
} as const;

export type NameField = keyof typeof NAME_OIDS;

/** Short names shown in a name's text; other attributes show their dotted OID. */
const SHORT_NAMES = new Map<string, string>([
  ...Object.entries(NAME_OIDS).map(([name, oid]) => [oid, name] as [string, string]),
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['2.5.4.42', 'G'],
  ['2.5.4.43', 'I'],
  ['2.5.4.4', 'SN'],
  ['2.5.4.12', 'T'],
]);

/** A distinguished name as attribute/value pairs in order, with a readable one-line form. */
export interface DistinguishedName {
  text: string;
  attributes: Array<{ name: string; oid: string; value: string }>;
}

/**
 * Read the DER Name (SEQUENCE OF SET OF {type, value}) at `tlv`. String values are decoded by
 * their ASN.1 type; a value of any other type is shown as `#` and the hex of its DER (RFC 4514).
 */
export function readNameDer(der: Uint8Array, tlv: Tlv | undefined, what: string): DistinguishedName {
  const attributes: DistinguishedName['attributes'] = [];
  for (const rdn of childrenOf(der, expectTag(tlv, 0x30, what), what)) {
    for (const pair of childrenOf(der, expectTag(rdn, 0x31, `a set of attributes in ${what}`), what)) {
      const [type, value, extra] = childrenOf(der, expectTag(pair, 0x30, `an attribute in ${what}`), what);
      if (!type || !value || extra) throw new DerError(`${what} holds an attribute that is not one type and one value`);
      const oid = readOid(der, type, `an attribute type in ${what}`);
      attributes.push({ name: SHORT_NAMES.get(oid) ?? oid, oid, value: attributeText(der, value) });
    }
  }
  const text = attributes.map((a) => `${a.name}=${a.value}`).join(', ');
  return { text, attributes };
}

function attributeText(der: Uint8Array, value: Tlv): string {
  const bytes = Buffer.from(contentOf(der, value));
  const text = value.tag === 0x0c ? bytes.toString('utf8') // UTF8String
    : value.tag === 0x13 || value.tag === 0x16 || value.tag === 0x14 ? bytes.toString('latin1') // Printable, IA5, Teletex
    : value.tag === 0x1e ? (bytes.length % 2 === 0 ? bytes.swap16().toString('utf16le') : null) // BMPString: UTF-16BE
    : value.tag === 0x1c ? universalString(bytes)
    : null;
  return text ?? `#${toHex(der.subarray(value.start, value.end))}`;
}

/** UniversalString is UTF-32BE; null when it is not (its length, or a code point out of range). */
function universalString(bytes: Buffer): string | null {
  if (bytes.length % 4 !== 0) return null;
  let text = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const code = bytes.readUInt32BE(i);
    if (code > 0x10ffff) return null;
    text += String.fromCodePoint(code);
  }
  return text;
}

/** The first value of a named attribute (CN, UID, …), or null. */
export function nameField(name: DistinguishedName, field: NameField): string | null {
  return name.attributes.find((a) => a.oid === NAME_OIDS[field])?.value ?? null;
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * The DER Name of `fields`, one attribute per RDN in the given order; empty fields left out.
 * PrintableString where the value fits it, IA5String for emailAddress, else UTF8String.
 */
export function encodeName(fields: Partial<Record<NameField, string>>): Buffer {
  const rdns: Buffer[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined || value === '') continue;
    const tag = field === 'emailAddress' ? 0x16 : PRINTABLE.test(value) ? 0x13 : 0x0c;
    rdns.push(derTlv(0x31, derTlv(0x30, derOid(NAME_OIDS[field as NameField]), derTlv(tag, Buffer.from(value, tag === 0x0c ? 'utf8' : 'latin1')))));
  }
  return derTlv(0x30, ...rdns);
}
