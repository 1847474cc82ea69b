// Build a PKCS#12 bundle for tests with node-forge (the same library certpush reads it with,
// so this checks the wiring, not the format; the PKI tests cross-check with openssl).
import forge from 'node-forge';
import type { PemIdentity } from '../../src/simulators/test-pki.ts';

export function toPkcs12(identity: PemIdentity, password: string, chain: string[] = []): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(identity.key),
    [identity.cert, ...chain].map((pem) => forge.pki.certificateFromPem(pem)),
    password,
    { algorithm: '3des' },
  );
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}
