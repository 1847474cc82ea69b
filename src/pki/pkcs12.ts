import crypto, { type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { CertpushError } from '../errors.ts';
import { type Certificate, parseCertificateDer } from './certificate.ts';
import { readTlv } from './der.ts';

/** What a PKCS#12 file holds: its certificates (file order) and at most one private key. */
export interface Pkcs12Contents {
  certificates: Certificate[];
  privateKey: KeyObject | null;
}

/**
 * Read a PKCS#12 (`.p12`/`.pfx`) file. Handles what `openssl pkcs12 -export` writes by default
 * (PBES2 AES-256-CBC, PBKDF2, SHA-256 MAC) and with `-legacy` (RC2-40/3DES, SHA-1 MAC).
 * node-forge is the PKCS#12 reader: Node has none, and forge covers both generations.
 */
export function readPkcs12(der: Uint8Array, password: string): Pkcs12Contents {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('binary')), true);
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, true, password);
  } catch (error) {
    const reason = (error as Error).message ?? String(error);
    if (/MAC could not be verified|Invalid password/i.test(reason)) {
      throw new CertpushError('P12_WRONG_PASSWORD', 'The PKCS#12 file could not be opened: the password is wrong. Check the password file (no trailing newline is needed, one is ignored).', { cause: error });
    }
    if (/unsupported|not supported|Unknown/i.test(reason) && /algorithm|OID|cipher|encryption/i.test(reason)) {
      throw new CertpushError('P12_UNSUPPORTED', `The PKCS#12 file uses an encryption certpush cannot read (${reason}). Re-export it with "openssl pkcs12 -export" (default or -legacy).`, { cause: error });
    }
    throw new CertpushError('P12_UNPARSABLE', 'The data is not a valid PKCS#12 (.p12/.pfx) file. Export the certificate and key again as PKCS#12, or pass them as PEM files.', { cause: error });
  }
  const certificates: Certificate[] = [];
  for (const bag of p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? []) {
    if (bag.cert) certificates.push(parseCertificateDer(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(bag.cert)).getBytes(), 'binary')));
    else if (bag.asn1) certificates.push(parseCertificateDer(Buffer.from(forge.asn1.toDer(bag.asn1).getBytes(), 'binary')));
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  let privateKey: KeyObject | null = null;
  const bag = keyBags[0];
  try {
    if (bag?.key) {
      const pkcs8 = forge.asn1.toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key))).getBytes();
      privateKey = crypto.createPrivateKey({ key: Buffer.from(pkcs8, 'binary'), format: 'der', type: 'pkcs8' });
    } else if (bag?.asn1) {
      // forge only turns RSA keys into objects; any other key type is left as PKCS#8 ASN.1.
      privateKey = crypto.createPrivateKey({ key: Buffer.from(forge.asn1.toDer(bag.asn1).getBytes(), 'binary'), format: 'der', type: 'pkcs8' });
    }
  } catch (error) {
    throw new CertpushError('P12_UNPARSABLE', `The private key inside the PKCS#12 file could not be read (${(error as Error).message}). Export the certificate and key again as PKCS#12, or pass them as PEM files.`, { cause: error });
  }
  return { certificates, privateKey };
}

/** True when the bytes could be a PKCS#12 PFX (a DER SEQUENCE starting with version 3). */
export function looksLikePkcs12(der: Uint8Array): boolean {
  // PFX ::= SEQUENCE { version INTEGER {v3(3)}, … }
  const outer = readTlv(der);
  const version = outer && outer.tag === 0x30 ? readTlv(der, outer.contentStart) : null;
  return version !== null && version.tag === 0x02 && version.end - version.contentStart === 1 && der[version.contentStart] === 3;
}
