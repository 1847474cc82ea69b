import { x509 } from './x509.ts';

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

const SHORT_NAMES = new Map<string, string>(Object.entries(NAME_OIDS).map(([name, oid]) => [oid, name]));
const ALIASES: Record<string, string> = { E: NAME_OIDS.emailAddress };

/** A distinguished name as attribute/value pairs in order, with a readable one-line form. */
export interface DistinguishedName {
  text: string;
  attributes: Array<{ name: string; oid: string; value: string }>;
}

/** Flatten a peculiar Name into our plain value. */
export function readName(name: x509.Name): DistinguishedName {
  const attributes: DistinguishedName['attributes'] = [];
  for (const rdn of name.toJSON()) {
    for (const [key, values] of Object.entries(rdn)) {
      const oid = SHORT_NAMES.has(key) ? key : (NAME_OIDS as Record<string, string>)[key] ?? ALIASES[key] ?? key;
      const short = SHORT_NAMES.get(oid) ?? key;
      for (const value of values) attributes.push({ name: short, oid, value: String(value) });
    }
  }
  const text = attributes.map((a) => `${a.name}=${a.value}`).join(', ');
  return { text, attributes };
}

/** The first value of a named attribute (CN, UID, …), or null. */
export function nameField(name: DistinguishedName, field: NameField): string | null {
  return name.attributes.find((a) => a.oid === NAME_OIDS[field])?.value ?? null;
}

/** Build a name for the certificate/CSR generators from fields; attributes in the given order. */
export function buildName(fields: Partial<Record<NameField, string>>): x509.JsonName {
  const json: x509.JsonName = [];
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined || value === '') continue;
    json.push({ [NAME_OIDS[field as NameField]]: [value] });
  }
  return json;
}
