import { childrenOf, DerError, readOid, type Tlv } from './der.ts';

const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'RSASSA-PKCS1-v1_5/SHA-1',
  '1.2.840.113549.1.1.11': 'RSASSA-PKCS1-v1_5/SHA-256',
  '1.2.840.113549.1.1.12': 'RSASSA-PKCS1-v1_5/SHA-384',
  '1.2.840.113549.1.1.13': 'RSASSA-PKCS1-v1_5/SHA-512',
  '1.2.840.10045.4.1': 'ECDSA/SHA-1',
  '1.2.840.10045.4.3.2': 'ECDSA/SHA-256',
  '1.2.840.10045.4.3.3': 'ECDSA/SHA-384',
  '1.2.840.10045.4.3.4': 'ECDSA/SHA-512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'EdDSA',
};

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

const RSA_PSS = '1.2.840.113549.1.1.10';

/**
 * A readable name for the AlgorithmIdentifier at `tlv`, in WebCrypto's words with the hash after
 * a slash ("RSASSA-PKCS1-v1_5/SHA-256"); an algorithm certpush does not know shows its dotted OID.
 */
export function readSignatureAlgorithm(der: Uint8Array, tlv: Tlv, what: string): string {
  const [id, params] = childrenOf(der, tlv, what);
  if (!id) throw new DerError(`${what} has no identifier`);
  const oid = readOid(der, id, what);
  if (oid !== RSA_PSS) return SIGNATURE_ALGORITHMS[oid] ?? oid;
  // RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] EXPLICIT AlgorithmIdentifier DEFAULT sha1, … }
  if (!params || params.tag !== 0x30) return 'RSA-PSS';
  const hash = childrenOf(der, params, 'the RSA-PSS parameters').find((p) => p.tag === 0xa0);
  if (!hash) return 'RSA-PSS/SHA-1';
  const [identifier] = childrenOf(der, hash, 'the RSA-PSS hash');
  const [hashId] = identifier ? childrenOf(der, identifier, 'the RSA-PSS hash') : [];
  const hashOid = hashId ? readOid(der, hashId, 'the RSA-PSS hash') : '';
  return `RSA-PSS/${HASHES[hashOid] ?? hashOid}`;
}
