import crypto from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { SIGNER_MIN_TOKEN_LENGTH } from './protocol.ts';

/**
 * A checker for `Authorization: Bearer <token>` headers. Both sides are hashed with SHA-256 first so
 * that timingSafeEqual compares equal lengths: the comparison time then reveals neither the token's
 * content nor its length.
 *
 * @example
 * const accepts = bearerTokenChecker(process.env.CERTPUSH_SIGNER_TOKEN!);
 * accepts(req.headers.authorization) // true or false
 */
export function bearerTokenChecker(token: string): (authorization: string | undefined) => boolean {
  if (token.length < SIGNER_MIN_TOKEN_LENGTH) {
    throw new CertpushError('SIGNER_TOKEN_WEAK', `The signer token has ${token.length} characters; use at least ${SIGNER_MIN_TOKEN_LENGTH} random ones (for example "openssl rand -hex 32").`);
  }
  const expected = crypto.hash('sha256', token, 'buffer');
  return (authorization) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    const given = crypto.hash('sha256', match?.[1] ?? '', 'buffer');
    return crypto.timingSafeEqual(given, expected) && match !== null;
  };
}
