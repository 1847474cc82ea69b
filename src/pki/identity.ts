import type { KeyObject } from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { type Certificate, certificateToPem, parseCertificates } from './certificate.ts';
import { buildChain } from './chain.ts';
import { describeKey, keyMatchesSpki, parsePrivateKey, privateKeyToPem } from './key.ts';
import { readPkcs12 } from './pkcs12.ts';

/**
 * A certificate with its private key (and any chain that came with it): what a TLS client
 * presents and what the vendor signer signs with.
 */
export interface Identity {
  certificate: Certificate;
  /** Certificates that came with it, excluding the leaf; ordered leaf-side first where possible. */
  chain: Certificate[];
  privateKey: KeyObject;
}

export type IdentitySource =
  | { cert: Uint8Array | string; key: Uint8Array | string; passphrase?: string }
  | { pkcs12: Uint8Array; password: string }
  /** A PKCS#12 file already read (off the event loop: see pkcs12-thread.ts). */
  | { pkcs12Contents: { certificates: Certificate[]; privateKey: KeyObject | null } };

/**
 * Load a certificate and its key from PEM/DER files or a PKCS#12 bundle, and check that the
 * key belongs to the certificate.
 */
export function loadIdentity(source: IdentitySource): Identity {
  let certificates: Certificate[];
  let privateKey: KeyObject | null;
  if ('pkcs12' in source || 'pkcs12Contents' in source) {
    ({ certificates, privateKey } = 'pkcs12' in source ? readPkcs12(source.pkcs12, source.password) : source.pkcs12Contents);
    if (!privateKey) throw new CertpushError('P12_NO_KEY', 'The PKCS#12 file holds no private key. Export it again including the key ("openssl pkcs12 -export -inkey key.pem …").');
  } else {
    certificates = parseCertificates(source.cert);
    privateKey = parsePrivateKey(source.key, source.passphrase);
  }
  const key = privateKey;
  const leaf = certificates.find((c) => keyMatchesSpki(key, c.publicKey.spki));
  if (!leaf) {
    if (certificates.length === 0) throw new CertpushError('P12_NO_CERT', 'The PKCS#12 file holds no certificate. Export it again including the certificate.');
    throw new CertpushError('KEY_MISMATCH', `The private key does not belong to the certificate "${certificates[0]!.subject.text}" (their public keys differ). Use the key that was generated with this certificate's CSR.`);
  }
  const others = certificates.filter((c) => c !== leaf);
  const ordered = buildChain(leaf, others).slice(1);
  const rest = others.filter((c) => !ordered.includes(c));
  return { certificate: leaf, chain: [...ordered, ...rest], privateKey: key };
}

/** PEM strings for Node's `tls` options (`cert` includes the chain, `key` is PKCS#8). */
export function identityToTls(identity: Identity): { cert: string; key: string } {
  return {
    cert: [identity.certificate, ...identity.chain].map(certificateToPem).join(''),
    key: privateKeyToPem(identity.privateKey),
  };
}

export { describeKey };
