import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { JwtSigner } from '../../src/apns/jwt-signer.ts';
import { isCertpushError } from '../../src/errors.ts';

const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const p8 = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const MIN = 60_000;

function signer(clock: { t: number }, refreshAfterMs?: number) {
  return new JwtSigner({ key: p8, keyId: 'ABC123DEFG', teamId: 'TEAM123456', now: () => clock.t, refreshAfterMs });
}

function decode(token: string) {
  const [h, c, s] = token.split('.');
  return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()), claims: JSON.parse(Buffer.from(c!, 'base64url').toString()), input: `${h}.${c}`, signature: Buffer.from(s!, 'base64url') };
}

test('a token is an ES256 JWT with kid, iss = team ID and iat in seconds, verifiable with the key', () => {
  const clock = { t: 1_700_000_000_123 };
  const { header, claims, input, signature } = decode(signer(clock).token());
  assert.deepEqual(header, { alg: 'ES256', kid: 'ABC123DEFG' });
  assert.deepEqual(claims, { iss: 'TEAM123456', iat: 1_700_000_000 });
  assert.equal(signature.length, 64, 'JWS ES256 signatures are r||s, 64 bytes');
  assert.ok(crypto.verify('sha256', Buffer.from(input), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature));
});

test('the same token is reused until it is 50 minutes old, then a new one is made', () => {
  const clock = { t: 1_700_000_000_000 };
  const s = signer(clock);
  const first = s.token();
  clock.t += 49 * MIN;
  assert.equal(s.token(), first);
  clock.t += 1 * MIN;
  const second = s.token();
  assert.notEqual(second, first);
  assert.equal(decode(second).claims.iat, (1_700_000_000_000 + 50 * MIN) / 1000);
  assert.equal(s.issued, 2);
});

test('the refresh age is held between 20 and 60 minutes', () => {
  const clock = { t: 1_700_000_000_000 };
  const eager = signer(clock, 1000);
  const first = eager.token();
  clock.t += 19 * MIN;
  assert.equal(eager.token(), first, 'never more often than every 20 minutes');
  clock.t += 1 * MIN;
  assert.notEqual(eager.token(), first);
  const lazy = signer(clock, 3 * 60 * MIN);
  const t = lazy.token();
  clock.t += 59 * MIN;
  assert.notEqual(lazy.token(), t, 'never older than an hour');
});

test('after ExpiredProviderToken a token at least 20 minutes old is replaced', () => {
  const clock = { t: 1_700_000_000_000 };
  const s = signer(clock);
  const old = s.token();
  clock.t += 25 * MIN;
  assert.equal(s.renewAfterExpired(old), true);
  assert.notEqual(s.token(), old);
  assert.equal(s.issued, 2);
});

test('after ExpiredProviderToken a token younger than 20 minutes is kept (APNs would say TooManyProviderTokenUpdates)', () => {
  const clock = { t: 1_700_000_000_000 };
  const s = signer(clock);
  const young = s.token();
  clock.t += 5 * MIN;
  assert.equal(s.renewAfterExpired(young), false);
  assert.equal(s.token(), young);
});

test('many rejections of one token make one new token', () => {
  const clock = { t: 1_700_000_000_000 };
  const s = signer(clock);
  const old = s.token();
  clock.t += 30 * MIN;
  assert.equal(s.renewAfterExpired(old), true);
  assert.equal(s.renewAfterExpired(old), true, 'a newer token is already there to retry with');
  assert.equal(s.issued, 2);
});

test('an RSA key, a bad key ID or a bad team ID is refused with a clear error', () => {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  assert.throws(() => new JwtSigner({ key: rsa, keyId: 'ABC123DEFG', teamId: 'TEAM123456' }), (e) => isCertpushError(e, 'APNS_TOKEN_KEY'));
  assert.throws(() => new JwtSigner({ key: p8, keyId: 'abc', teamId: 'TEAM123456' }), (e) => isCertpushError(e, 'APNS_KEY_ID'));
  assert.throws(() => new JwtSigner({ key: p8, keyId: 'ABC123DEFG', teamId: 'x' }), (e) => isCertpushError(e, 'APNS_TEAM_ID'));
});
