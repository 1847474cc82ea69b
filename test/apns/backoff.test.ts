import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../../src/apns/backoff.ts';

test('the delay doubles with each attempt, between half and all of the ceiling', () => {
  assert.equal(backoffDelay(0, { baseMs: 1000, maxMs: 60_000 }, () => 0), 500);
  assert.equal(backoffDelay(0, { baseMs: 1000, maxMs: 60_000 }, () => 0.999999), 1000);
  assert.equal(backoffDelay(3, { baseMs: 1000, maxMs: 60_000 }, () => 0), 4000);
  assert.equal(backoffDelay(3, { baseMs: 1000, maxMs: 60_000 }, () => 0.999999), 8000);
});

test('the delay never exceeds the cap', () => {
  for (const attempt of [10, 50, 1000]) assert.ok(backoffDelay(attempt, { baseMs: 1000, maxMs: 60_000 }, () => 0.999999) <= 60_000);
});

test('jitter spreads delays of the same attempt', () => {
  const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(4)));
  assert.ok(delays.size > 1);
});
