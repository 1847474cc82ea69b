import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mdmNotification, type PreparedRequest, prepareNotification } from '../../src/apns/notification.ts';
import type { Failed } from '../../src/apns/outcome.ts';

const token = 'a'.repeat(64);
const topic = 'com.example.app';

function failure(result: PreparedRequest | Failed): Failed {
  assert.ok('class' in result, 'expected a local rejection');
  return result;
}

function request(result: PreparedRequest | Failed): PreparedRequest {
  assert.ok(!('class' in result), `expected a request, got ${'reason' in result ? result.reason : ''}`);
  return result;
}

test('a good notification becomes the values of APNs\' request headers and a JSON body', () => {
  const r = request(prepareNotification({ token, payload: { aps: { alert: 'hi' } }, priority: 5, expiration: 0, collapseId: 'c1' }, topic));
  assert.equal(r.token, token);
  assert.equal(r.topic, topic);
  assert.equal(r.pushType, 'alert');
  assert.equal(r.priority, '5');
  assert.equal(r.expiration, '0');
  assert.equal(r.collapseId, 'c1');
  assert.equal(r.body.toString(), '{"aps":{"alert":"hi"}}');
});

test('headers a notification does not set are left out, so APNs applies its defaults', () => {
  const r = request(prepareNotification({ token, payload: '{}' }, topic));
  assert.equal(r.priority, undefined);
  assert.equal(r.expiration, undefined);
  assert.equal(r.collapseId, undefined);
});

test('every notification gets an apns-id, the given one or a new UUID', () => {
  const given = '123e4567-e89b-12d3-a456-426614174000';
  assert.equal(request(prepareNotification({ token, payload: '{}', id: given }, topic)).apnsId, given);
  assert.match(request(prepareNotification({ token, payload: '{}' }, topic)).apnsId, /^[0-9a-f-]{36}$/);
});

test('an expiration date is sent as UNIX seconds', () => {
  const r = request(prepareNotification({ token, payload: '{}', expiration: new Date('2030-01-01T00:00:00Z') }, topic));
  assert.equal(r.expiration, '1893456000');
});

test('a token that is not hex of 64+ digits is BadDeviceToken (invalid), never sent', () => {
  for (const bad of ['a'.repeat(63), 'g'.repeat(64), `${'a'.repeat(64)}0`, 'xyz']) {
    const f = failure(prepareNotification({ token: bad, payload: '{}' }, topic));
    assert.equal(f.reason, 'BadDeviceToken');
    assert.equal(f.class, 'invalid');
    assert.equal(f.status, 0);
  }
});

test('longer tokens (100 bytes) are accepted', () => {
  request(prepareNotification({ token: 'ab'.repeat(100), payload: '{}' }, topic));
});

test('an empty token is MissingDeviceToken', () => {
  assert.equal(failure(prepareNotification({ token: '', payload: '{}' }, topic)).reason, 'MissingDeviceToken');
});

test('a payload over 4096 bytes is PayloadTooLarge, over 5120 for voip', () => {
  const big = JSON.stringify({ x: 'y'.repeat(4090) });
  assert.ok(Buffer.byteLength(big) > 4096 && Buffer.byteLength(big) <= 5120);
  assert.equal(failure(prepareNotification({ token, payload: big }, topic)).reason, 'PayloadTooLarge');
  request(prepareNotification({ token, payload: big, pushType: 'voip' }, topic));
  const huge = JSON.stringify({ x: 'y'.repeat(5200) });
  assert.equal(failure(prepareNotification({ token, payload: huge, pushType: 'voip' }, topic)).reason, 'PayloadTooLarge');
});

test('a payload of exactly 4096 bytes is allowed', () => {
  const exact = JSON.stringify({ x: 'y'.repeat(4096 - 8) });
  assert.equal(Buffer.byteLength(exact), 4096);
  request(prepareNotification({ token, payload: exact }, topic));
});

test('the payload limit counts bytes, not characters', () => {
  const multibyte = JSON.stringify({ x: 'é'.repeat(2100) });
  assert.ok(multibyte.length < 4096 && Buffer.byteLength(multibyte) > 4096);
  assert.equal(failure(prepareNotification({ token, payload: multibyte }, topic)).reason, 'PayloadTooLarge');
});

test('an empty payload is PayloadEmpty', () => {
  assert.equal(failure(prepareNotification({ token, payload: '' }, topic)).reason, 'PayloadEmpty');
});

test('a collapse id over 64 bytes is BadCollapseId', () => {
  request(prepareNotification({ token, payload: '{}', collapseId: 'c'.repeat(64) }, topic));
  assert.equal(failure(prepareNotification({ token, payload: '{}', collapseId: 'c'.repeat(65) }, topic)).reason, 'BadCollapseId');
});

test('priority must be 10, 5 or 1', () => {
  for (const p of [10, 5, 1] as const) request(prepareNotification({ token, payload: '{}', priority: p }, topic));
  assert.equal(failure(prepareNotification({ token, payload: '{}', priority: 7 as never }, topic)).reason, 'BadPriority');
});

test('a missing topic is MissingTopic; one with spaces is BadTopic', () => {
  assert.equal(failure(prepareNotification({ token, payload: '{}' }, undefined)).reason, 'MissingTopic');
  assert.equal(failure(prepareNotification({ token, payload: '{}', topic: 'com.example app' }, undefined)).reason, 'BadTopic');
});

test('the push type must be one of APNs\' types', () => {
  for (const type of ['alert', 'background', 'voip', 'complication', 'fileprovider', 'mdm', 'location', 'liveactivity', 'pushtotalk'] as const) {
    request(prepareNotification({ token, payload: '{}', pushType: type }, topic));
  }
  assert.equal(failure(prepareNotification({ token, payload: '{}', pushType: 'sms' as never }, topic)).reason, 'InvalidPushType');
});

test('an apns-id that is not a UUID is BadMessageId', () => {
  assert.equal(failure(prepareNotification({ token, payload: '{}', id: 'not-a-uuid' }, topic)).reason, 'BadMessageId');
});

test('a negative or fractional expiration is BadExpirationDate', () => {
  assert.equal(failure(prepareNotification({ token, payload: '{}', expiration: -1 }, topic)).reason, 'BadExpirationDate');
  assert.equal(failure(prepareNotification({ token, payload: '{}', expiration: 1.5 }, topic)).reason, 'BadExpirationDate');
});

test('the MDM notification is {"mdm": pushMagic} with push type mdm', () => {
  const n = mdmNotification(token, 'MAGIC-1', 'com.apple.mgmt.External.x');
  const r = request(prepareNotification(n, undefined));
  assert.equal(r.body.toString(), '{"mdm":"MAGIC-1"}');
  assert.equal(r.pushType, 'mdm');
  assert.equal(r.topic, 'com.apple.mgmt.External.x');
});
