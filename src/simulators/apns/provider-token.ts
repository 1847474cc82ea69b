import crypto, { type KeyObject } from 'node:crypto';
import type { AppleReason as ApnsReason } from './apple-reasons.ts';

/** A signing key registered with the simulator, as a team's key is with Apple. */
export interface RegisteredKey {
  keyId: string;
  teamId: string;
  /** The key's public half (or the .p8 itself): PEM, or a KeyObject. */
  publicKey: string | KeyObject;
  /** Topics (bundle IDs) the team may push to; omitted: any. */
  topics?: string[];
  /** Environments the key may be used in; omitted: both. */
  environments?: Array<'development' | 'production'>;
}

/** A provider token that verified. */
export interface VerifiedToken {
  keyId: string;
  teamId: string;
  /** Issued-at, seconds. */
  iat: number;
  key: RegisteredKey;
}

/** APNs: a provider token older than one hour is expired. */
export const PROVIDER_TOKEN_LIFETIME_S = 3600;

/**
 * Verify an APNs provider token (ES256 JWT `{alg, kid}.{iss, iat}`) against the registered
 * keys; the reason APNs would give when it fails.
 */
export function verifyProviderToken(jwt: string, keys: ReadonlyMap<string, { key: RegisteredKey; publicKey: KeyObject }>): VerifiedToken | ApnsReason {
  const parts = jwt.split('.');
  if (parts.length !== 3) return 'InvalidProviderToken';
  let header: { alg?: unknown; kid?: unknown };
  let claims: { iss?: unknown; iat?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return 'InvalidProviderToken';
  }
  if (header.alg !== 'ES256' || typeof header.kid !== 'string' || typeof claims.iss !== 'string' || typeof claims.iat !== 'number') return 'InvalidProviderToken';
  const entry = keys.get(header.kid);
  if (!entry || entry.key.teamId !== claims.iss) return 'InvalidProviderToken';
  const ok = crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: entry.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2]!, 'base64url'));
  if (!ok) return 'InvalidProviderToken';
  return { keyId: header.kid, teamId: claims.iss, iat: claims.iat, key: entry.key };
}
