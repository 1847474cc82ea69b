import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveEndpoint } from '../../src/apns/endpoints.ts';
import { isCertpushError } from '../../src/errors.ts';

test('production is api.push.apple.com on 443', () => {
  assert.deepEqual(resolveEndpoint('production'), { host: 'api.push.apple.com', port: 443, authority: 'api.push.apple.com', servername: 'api.push.apple.com', url: 'https://api.push.apple.com' });
});

test('sandbox (or development) is api.sandbox.push.apple.com, port 2197 on request', () => {
  assert.equal(resolveEndpoint('sandbox').host, 'api.sandbox.push.apple.com');
  assert.equal(resolveEndpoint('development').host, 'api.sandbox.push.apple.com');
  assert.equal(resolveEndpoint('sandbox', 2197).authority, 'api.sandbox.push.apple.com:2197');
});

test('APNs ports other than 443 and 2197 are refused', () => {
  assert.throws(() => resolveEndpoint('production', 8443), (e) => isCertpushError(e, 'APNS_BAD_PORT'));
});

test('a simulator URL gives its host and port, without SNI for an IP address', () => {
  const e = resolveEndpoint('https://127.0.0.1:8443');
  assert.equal(e.host, '127.0.0.1');
  assert.equal(e.port, 8443);
  assert.equal(e.servername, undefined);
  assert.equal(resolveEndpoint('https://[::1]:9000').authority, '[::1]:9000');
  assert.equal(resolveEndpoint('https://localhost:9000').servername, 'localhost');
});

test('http:// URLs and URLs with paths are refused', () => {
  assert.throws(() => resolveEndpoint('http://127.0.0.1:80'), (e) => isCertpushError(e, 'APNS_BAD_ENDPOINT'));
  assert.throws(() => resolveEndpoint('https://127.0.0.1:80/3/device'), (e) => isCertpushError(e, 'APNS_BAD_ENDPOINT'));
  assert.throws(() => resolveEndpoint('api.push.apple.com'), (e) => isCertpushError(e, 'APNS_BAD_ENDPOINT'));
});
