import crypto, { type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type Forge from 'node-forge';
import { CertpushError } from '../errors.ts';
import { type Certificate, parseCertificateDer } from './certificate.ts';
import { readTlv } from './der.ts';
import { checkIterations, MAX_PKCS12_ITERATIONS } from './kdf-limits.ts';

// node-forge is loaded on the first PKCS#12 read, not when this module is: a serving process
// imports this module (identity loading, certificate uploads) and almost never reads a .p12,
// and forge costs ~2 MB of heap and ~9 MB of RSS (README: Design, "Modules loaded when used").
// require() keeps readPkcs12 synchronous; forge is CommonJS.
const require = createRequire(import.meta.url);
let forgeModule: typeof Forge | undefined;

function loadForge(): typeof Forge {
  forgeModule ??= require('node-forge') as typeof Forge;
  return forgeModule;
}

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
  const forge = loadForge();
  let p12: Forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('binary')), true);
    p12 = withKdfBudget(() => forge.pkcs12.pkcs12FromAsn1(asn1, true, password));
  } catch (error) {
    if (error instanceof CertpushError) throw error;
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

/**
 * The iteration counts of a PKCS#12 file (MAC, and the PBE of every bag, some of them inside
 * encrypted content that only decryption reveals) are the uploader's to choose. forge derives
 * keys through three functions, looked up at call time; wrapped here, each derivation is
 * checked before it runs: at most MAX_KDF_ITERATIONS each, MAX_PKCS12_ITERATIONS per file.
 */
let budget: { used: number } | null = null;

function withKdfBudget<T>(read: () => T): T {
  installKdfGuards();
  budget = { used: 0 };
  try {
    return read();
  } finally {
    budget = null;
  }
}

function charge(count: unknown): void {
  if (!budget) return;
  const n = typeof count === 'number' ? count : Number.NaN;
  checkIterations(n, 'PKCS#12 file');
  budget.used += n;
  if (budget.used > MAX_PKCS12_ITERATIONS) {
    throw new CertpushError('KDF_ITERATIONS_LIMIT', `The PKCS#12 file asks for more than ${MAX_PKCS12_ITERATIONS.toLocaleString('en-US')} key-derivation iterations in all (certpush's limit per file). Export it again with the tool's default settings (openssl uses 2,048 per derivation).`);
  }
}

let guarded = false;

function installKdfGuards(): void {
  if (guarded) return;
  guarded = true;
  const forge = loadForge();
  type Fn = (...args: unknown[]) => unknown;
  const wrap = (owner: Record<string, unknown>, name: string, countAt: number) => {
    const original = owner[name] as Fn;
    owner[name] = function (this: unknown, ...args: unknown[]) {
      charge(args[countAt]);
      return original.apply(this, args);
    };
  };
  // MAC key (pkcs12.generateKey), PKCS#12 PBE (pbe.generatePkcs12Key), PBES2 (pkcs5.pbkdf2).
  wrap(forge.pkcs12 as unknown as Record<string, unknown>, 'generateKey', 3);
  wrap((forge.pki as unknown as { pbe: Record<string, unknown> }).pbe, 'generatePkcs12Key', 3);
  wrap(forge.pkcs5 as unknown as Record<string, unknown>, 'pbkdf2', 2);
  // forge runs PBES2's PBKDF2 in JavaScript (~30 µs an iteration) when handed a digest object,
  // natively (~0.2 µs) when handed its name: 2,048 iterations are 60 ms against 0.4 ms.
  const pkcs5 = forge.pkcs5 as unknown as Record<string, Fn>;
  const checked = pkcs5.pbkdf2!;
  const hashes = new Set(crypto.getHashes());
  pkcs5.pbkdf2 = function (this: unknown, ...args: unknown[]) {
    const md = args[4] as { algorithm?: unknown } | undefined;
    if (md && typeof md === 'object' && typeof md.algorithm === 'string' && hashes.has(md.algorithm)) args[4] = md.algorithm;
    return checked.apply(this, args);
  };
}

/** True when the bytes could be a PKCS#12 PFX (a DER SEQUENCE starting with version 3). */
export function looksLikePkcs12(der: Uint8Array): boolean {
  // PFX ::= SEQUENCE { version INTEGER {v3(3)}, … }
  const outer = readTlv(der);
  const version = outer && outer.tag === 0x30 ? readTlv(der, outer.contentStart) : null;
  return version !== null && version.tag === 0x02 && version.end - version.contentStart === 1 && der[version.contentStart] === 3;
}
