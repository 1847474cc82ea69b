import crypto, { type KeyObject } from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { parsePrivateKey } from '../pki/key.ts';

/** APNs: refresh a provider token no more often than every 20 minutes… */
export const TOKEN_MIN_AGE_MS = 20 * 60_000;
/** …and no less often than every 60 minutes (APNs rejects older ones with ExpiredProviderToken). */
export const TOKEN_MAX_AGE_MS = 60 * 60_000;
/** Default age at which certpush makes a new token: well inside the window. */
export const TOKEN_REFRESH_MS = 50 * 60_000;

export interface JwtSignerOptions {
  /** The `.p8` key (PEM or DER, PKCS#8 EC P-256) or a KeyObject. */
  key: string | Uint8Array | KeyObject;
  /** The 10-character key ID from the developer account (JWT header `kid`). */
  keyId: string;
  /** The 10-character team ID (JWT claim `iss`). */
  teamId: string;
  /** Age at which a new token is made; clamped to [20, 60) minutes. Default 50 minutes. */
  refreshAfterMs?: number;
  /** Clock, milliseconds since the epoch. Default Date.now (tests inject their own). */
  now?: () => number;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * Makes APNs provider tokens (ES256 JWT: header `{alg, kid}`, claims `{iss, iat}`) and reuses
 * one until it is `refreshAfterMs` old. APNs: at most one new token per 20 minutes.
 *
 * @example
 * const signer = new JwtSigner({ key: fs.readFileSync('AuthKey_ABC123DEFG.p8'), keyId: 'ABC123DEFG', teamId: 'DEF123GHIJ' });
 * headers.authorization = `bearer ${signer.token()}`;
 */
export class JwtSigner {
  readonly keyId: string;
  readonly teamId: string;
  readonly #key: KeyObject;
  readonly #refreshAfterMs: number;
  readonly #now: () => number;
  #current: string | null = null;
  #issuedAt = 0;
  #issued = 0;

  constructor(options: JwtSignerOptions) {
    const key = isKeyObject(options.key) ? options.key : parsePrivateKey(options.key);
    if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new CertpushError('APNS_TOKEN_KEY', 'APNs token auth needs the EC P-256 private key from your developer account (the AuthKey_<KEYID>.p8 file); this key is not one.');
    }
    if (!/^[A-Z0-9]{10}$/.test(options.keyId)) throw new CertpushError('APNS_KEY_ID', `"${options.keyId}" is not an APNs key ID: it is the 10 characters (A-Z, 0-9) in the .p8 file name AuthKey_<KEYID>.p8.`);
    if (!/^[A-Z0-9]{10}$/.test(options.teamId)) throw new CertpushError('APNS_TEAM_ID', `"${options.teamId}" is not an Apple team ID: 10 characters (A-Z, 0-9), shown under Membership in the developer account.`);
    this.#key = key;
    this.keyId = options.keyId;
    this.teamId = options.teamId;
    this.#refreshAfterMs = Math.min(TOKEN_MAX_AGE_MS - 60_000, Math.max(TOKEN_MIN_AGE_MS, options.refreshAfterMs ?? TOKEN_REFRESH_MS));
    this.#now = options.now ?? Date.now;
  }

  /** The current token, made anew when it has reached the refresh age. */
  token(): string {
    if (this.#current === null || this.#now() - this.#issuedAt >= this.#refreshAfterMs) this.#issue();
    return this.#current!;
  }

  /** How many tokens this signer has made. */
  get issued(): number {
    return this.#issued;
  }

  /**
   * APNs said ExpiredProviderToken for `rejected`. Returns true when a newer token is (now)
   * available to retry with: made anew if `rejected` is still current and at least 20 minutes
   * old; a younger token is not replaced (APNs: TooManyProviderTokenUpdates) — its rejection
   * means the clocks disagree.
   */
  renewAfterExpired(rejected: string): boolean {
    if (this.#current !== rejected) return this.#current !== null;
    if (this.#now() - this.#issuedAt < TOKEN_MIN_AGE_MS) return false;
    this.#issue();
    return true;
  }

  #issue(): void {
    const now = this.#now();
    const header = base64url(JSON.stringify({ alg: 'ES256', kid: this.keyId }));
    const claims = base64url(JSON.stringify({ iss: this.teamId, iat: Math.floor(now / 1000) }));
    const input = `${header}.${claims}`;
    // JWS ES256: the signature is r || s (IEEE P1363), not DER.
    const signature = crypto.sign('sha256', Buffer.from(input), { key: this.#key, dsaEncoding: 'ieee-p1363' });
    this.#current = `${input}.${signature.toString('base64url')}`;
    this.#issuedAt = now;
    this.#issued++;
  }
}

function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof crypto.KeyObject;
}
