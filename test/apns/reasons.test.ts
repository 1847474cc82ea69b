import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APNS_REASONS, classify, isApnsReason } from '../../src/apns/reasons.ts';

test('Apple\'s table has all 32 reasons with their statuses', () => {
  assert.equal(Object.keys(APNS_REASONS).length, 32);
  assert.equal(APNS_REASONS.Unregistered.status, 410);
  assert.equal(APNS_REASONS.PayloadTooLarge.status, 413);
  assert.equal(APNS_REASONS.MethodNotAllowed.status, 405);
  assert.equal(APNS_REASONS.BadPath.status, 404);
  assert.equal(APNS_REASONS.Shutdown.status, 503);
});

test('dead-token reasons are invalid', () => {
  for (const reason of ['BadDeviceToken', 'DeviceTokenNotForTopic', 'Unregistered', 'ExpiredToken']) assert.equal(classify(400, reason), 'invalid', reason);
});

test('certificate and provider-token reasons are credential problems', () => {
  for (const reason of ['BadCertificate', 'BadCertificateEnvironment', 'Forbidden', 'InvalidProviderToken', 'ExpiredProviderToken', 'MissingProviderToken']) assert.equal(classify(403, reason), 'credential', reason);
});

test('429 and 5xx reasons are retried', () => {
  for (const reason of ['TooManyRequests', 'TooManyProviderTokenUpdates', 'InternalServerError', 'ServiceUnavailable', 'Shutdown']) assert.equal(classify(APNS_REASONS[reason as 'Shutdown'].status, reason), 'retry', reason);
});

test('request problems are rejected', () => {
  for (const reason of ['PayloadTooLarge', 'BadTopic', 'TopicDisallowed', 'BadCollapseId', 'BadPriority', 'MissingTopic']) assert.equal(classify(400, reason), 'rejected', reason);
});

test('an unknown reason is classified by its status', () => {
  assert.equal(isApnsReason('SomethingNew'), false);
  assert.equal(classify(403, 'SomethingNew'), 'credential');
  assert.equal(classify(410, 'SomethingNew'), 'invalid');
  assert.equal(classify(502, 'SomethingNew'), 'retry');
  assert.equal(classify(400, 'SomethingNew'), 'rejected');
});
