import fs from 'node:fs';
import { CertpushError } from '../errors.ts';
import { type Certificate, isSignedBy, parseCertificate } from '../pki/certificate.ts';
import { buildChain, findIssuer } from '../pki/chain.ts';

/** What an Apple CA certificate is for, as far as certpush cares. */
export type AppleCaRole = 'root' | 'wwdr' | 'push';

export interface AppleCa {
  /** The file under src/mdm/apple-cas/ (as Apple names the download, .pem). */
  file: string;
  role: AppleCaRole;
  certificate: Certificate;
}

// Apple publishes these at https://www.apple.com/certificateauthority/; the SHA-256 of each is
// pinned in test/mdm/apple-cas.test.ts. Vendor MDM signing certificates come from a WWDR CA (G3
// today; G6 is ECDSA under Apple Root CA - G3), MDM push certificates from Apple Application
// Integration 2 (expires 2028, so AAI G3 is carried too: no issuer is hard-wired).
const FILES: ReadonlyArray<[string, AppleCaRole]> = [
  ['AppleIncRootCertificate.pem', 'root'],
  ['AppleRootCA-G2.pem', 'root'],
  ['AppleRootCA-G3.pem', 'root'],
  ['AppleWWDRCAG2.pem', 'wwdr'],
  ['AppleWWDRCAG3.pem', 'wwdr'],
  ['AppleWWDRCAG4.pem', 'wwdr'],
  ['AppleWWDRCAG5.pem', 'wwdr'],
  ['AppleWWDRCAG6.pem', 'wwdr'],
  ['AppleAAI2CA.pem', 'push'],
  ['AppleAAICAG3.pem', 'push'],
];

let loaded: readonly AppleCa[] | null = null;

/** Apple's public root and intermediate CA certificates, built into certpush (read once). */
export function appleCas(): readonly AppleCa[] {
  loaded ??= FILES.map(([file, role]) => ({ file, role, certificate: parseCertificate(fs.readFileSync(new URL(`./apple-cas/${file}`, import.meta.url))) }));
  return loaded;
}

export function appleRoots(): Certificate[] {
  return appleCas().filter((ca) => ca.role === 'root').map((ca) => ca.certificate);
}

export function appleWwdrCas(): Certificate[] {
  return appleCas().filter((ca) => ca.role === 'wwdr').map((ca) => ca.certificate);
}

/** The vendor certificate's issuing WWDR CA and the Apple root above it. */
export interface VendorChain {
  intermediate: Certificate;
  root: Certificate;
}

const TEST_PKI_HELP = 'For a test PKI (e.g. certpush simulate pki), pass its intermediate and root with --intermediate and --root (signer serve: the same flags).';

/**
 * Choose the WWDR intermediate that issued `vendor` from the built-in Apple CAs (by issuer name
 * and authority key identifier, confirmed by the signature) and the Apple root above it.
 * Throws VENDOR_NOT_APPLE_ISSUED when none of them did, saying how to pass a test PKI.
 */
export function appleVendorChain(vendor: Certificate): VendorChain {
  const intermediate = findIssuer(vendor, appleWwdrCas());
  if (!intermediate) {
    const claimed = appleWwdrCas().find((ca) => ca.subject.text === vendor.issuer.text);
    const why = claimed
      ? `names "${vendor.issuer.text}" as its issuer, but that Apple CA's key did not sign it: it is not a genuine Apple certificate`
      : `was issued by "${vendor.issuer.text}", which is none of Apple's WWDR CAs (G2–G6) built into certpush`;
    throw new CertpushError('VENDOR_NOT_APPLE_ISSUED', `The vendor certificate "${vendor.subject.text}" ${why}. Use the MDM signing certificate ("MDM CSR") from Apple's developer portal. ${TEST_PKI_HELP}`);
  }
  const root = findIssuer(intermediate, appleRoots());
  if (!root) throw new CertpushError('VENDOR_NOT_APPLE_ISSUED', `No built-in Apple root issued "${intermediate.subject.text}". ${TEST_PKI_HELP}`);
  return { intermediate, root };
}

/**
 * The vendor chain from what the user gave: both files, or only the intermediate (its root is
 * then looked up among Apple's), or neither (both chosen from Apple's CAs).
 */
export function resolveVendorChain(vendor: Certificate, given: { intermediate?: Certificate; root?: Certificate }): VendorChain {
  if (given.intermediate && given.root) return { intermediate: given.intermediate, root: given.root };
  if (given.root) throw new CertpushError('CLI_USAGE', 'A root was given without its intermediate: pass --intermediate with --root, or neither to use Apple\'s built-in CAs.');
  if (given.intermediate) {
    const root = findIssuer(given.intermediate, appleRoots());
    if (!root) throw new CertpushError('VENDOR_NOT_APPLE_ISSUED', `The intermediate "${given.intermediate.subject.text}" is not issued by a built-in Apple root. Pass its root with --root.`);
    return { intermediate: given.intermediate, root };
  }
  return appleVendorChain(vendor);
}

/** Which Apple CA a certificate chains to, when it does. */
export interface AppleIssuer {
  /** True when the certificate chains, signature by signature, to a built-in Apple root. */
  apple: boolean;
  /** The Apple CA that issued the certificate (e.g. "Apple Application Integration 2 Certification Authority"). */
  issuer: string | null;
  /** The Apple root at the top. */
  root: string | null;
  /** The chain from the certificate up, by subject. */
  chain: string[];
}

/**
 * Build `cert`'s chain from the certificates that came with it and Apple's built-in CAs, and say
 * whether it ends at an Apple root. Validity dates are the caller's business (a push certificate
 * reports its own expiry); this answers "who issued it".
 */
export function appleIssuerOf(cert: Certificate, extra: readonly Certificate[] = []): AppleIssuer {
  const pool = [...extra, ...appleCas().map((ca) => ca.certificate)];
  const chain = buildChain(cert, pool);
  const top = chain[chain.length - 1]!;
  const roots = appleRoots();
  const apple = chain.length > 1 && roots.some((r) => r.fingerprintSha256 === top.fingerprintSha256) && isSignedBy(top, top);
  const names = chain.map((c) => c.subject.text);
  return { apple, issuer: apple ? chain[1]!.commonName ?? chain[1]!.subject.text : null, root: apple ? top.commonName ?? top.subject.text : null, chain: names };
}

/** True when `cert` names a built-in Apple CA as its issuer (whether or not that CA signed it). */
export function claimsAppleIssuer(cert: Certificate): boolean {
  return appleCas().some((ca) => ca.certificate.subject.text === cert.issuer.text);
}
