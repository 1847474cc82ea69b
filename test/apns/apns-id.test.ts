import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextApnsId } from '../../src/apns/apns-id.ts';
import { APNS_ID_PATTERN } from '../../src/apns/request-rules.ts';

test('an apns-id is a canonical version-4 UUID, as APNs requires', () => {
  for (let i = 0; i < 100; i++) {
    const id = nextApnsId();
    assert.match(id, APNS_ID_PATTERN);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});

test('apns-ids do not repeat', () => {
  const ids = new Set(Array.from({ length: 100_000 }, () => nextApnsId()));
  assert.equal(ids.size, 100_000);
});
