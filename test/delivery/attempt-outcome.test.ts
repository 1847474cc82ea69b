import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_POLICY, deferredUpdate, rowUpdate } from '../../src/delivery/attempt-outcome.ts';

const NOW = 1_000_000;
const HOUR = 3600_000;
const policy = { ...DEFAULT_RETRY_POLICY, windowMs: 24 * HOUR };
const capped = { ...policy, maxAttempts: 3 };
const fresh = { expiresAt: null, createdAt: NOW };
const top = () => 0.999_999;

describe('rowUpdate: what an attempt leaves in the delivery row', () => {
  it('ends a row as delivered, invalid, rejected or expired', () => {
    for (const c of ['delivered', 'invalid', 'rejected', 'expired'] as const) {
      assert.equal(rowUpdate(1, 0, { class: c, status: 200, reason: null }, null, policy, NOW).state, c);
    }
  });

  it('schedules a retry after the wait the push service asked for when it is longer than the row\'s backoff', () => {
    const u = rowUpdate(1, 0, { class: 'retry', status: 503, reason: 'ServiceUnavailable', retryAfterMs: 4000 }, fresh, policy, NOW);
    assert.equal(u.state, 'pending');
    assert.equal(u.nextAttemptAt, NOW + 4000);
    assert.equal(u.lastReason, 'ServiceUnavailable');
  });

  it('backs off by the row\'s own attempts, growing to minutes, whatever short wait the client suggests', () => {
    const waits = [0, 3, 6, 9, 12, 40].map((attempts) => rowUpdate(1, attempts, { class: 'retry', status: null, reason: 'ConnectionFailed', retryAfterMs: 500 }, fresh, policy, NOW, top).nextAttemptAt! - NOW);
    assert.deepEqual(waits, [1000, 8000, 64_000, 512_000, 600_000, 600_000]);
  });

  it('keeps retrying past a dozen attempts while the retry window is open', () => {
    const u = rowUpdate(1, 40, { class: 'retry', status: null, reason: 'ConnectionFailed' }, { expiresAt: null, createdAt: NOW - 2 * HOUR }, policy, NOW);
    assert.equal(u.state, 'pending');
  });

  it('fails a row without expiration only when its next attempt would fall after the window, saying so', () => {
    const u = rowUpdate(1, 40, { class: 'retry', status: null, reason: 'ConnectionFailed' }, { expiresAt: null, createdAt: NOW - 24 * HOUR + 1000 }, policy, NOW);
    assert.equal(u.state, 'failed');
    assert.match(u.lastReason!, /ConnectionFailed \(gave up: the retry window of 24 h closed after 41 attempts\)/);
  });

  it('expires a row now rather than retrying past the notification\'s expiration, however long the window', () => {
    const u = rowUpdate(1, 0, { class: 'retry', status: 429, reason: 'TooManyRequests', retryAfterMs: 60_000 }, { expiresAt: NOW + 1000, createdAt: NOW }, policy, NOW);
    assert.equal(u.state, 'expired');
  });

  it('retries a row with an expiration until then, even past the default window', () => {
    const u = rowUpdate(1, 3, { class: 'retry', status: 503, reason: 'ServiceUnavailable' }, { expiresAt: NOW + 48 * HOUR, createdAt: NOW - 30 * HOUR }, policy, NOW);
    assert.equal(u.state, 'pending');
  });

  it('gives up after the optional attempt cap when one is set, saying so', () => {
    const u = rowUpdate(1, 2, { class: 'retry', status: 503, reason: 'ServiceUnavailable', retryAfterMs: 10 }, fresh, capped, NOW);
    assert.equal(u.state, 'failed');
    assert.match(u.lastReason!, /gave up after 3 attempts/);
  });

  it('keeps a row pending and uncounted on a credential failure: nothing is burned', () => {
    const u = rowUpdate(1, 2, { class: 'credential', status: 403, reason: 'BadCertificate' }, fresh, policy, NOW);
    assert.equal(u.state, 'pending');
    assert.equal(u.countsAsAttempt, false);
  });
});

describe('deferredUpdate: a row held back by an open circuit', () => {
  const circuit = { retryAt: NOW + 8000, openMs: 8000, since: NOW - 60_000 };

  it('waits for the circuit\'s probe without spending an attempt', () => {
    const u = deferredUpdate(1, circuit, 'apns production', fresh, policy, () => 0);
    assert.equal(u.state, 'pending');
    assert.equal(u.countsAsAttempt, false);
    assert.equal(u.nextAttemptAt, NOW + 8000);
    assert.match(u.lastReason!, /^CircuitOpen: apns production unreachable since /);
  });

  it('spreads the backlog over a quarter of the open time in eight steps', () => {
    const times = new Set(Array.from({ length: 200 }, (_, i) => deferredUpdate(1, circuit, 'e', fresh, policy, () => i / 200).nextAttemptAt));
    assert.equal(times.size, 8);
    assert.ok([...times].every((t) => t! >= NOW + 8000 && t! < NOW + 10_000));
  });

  it('ends the row when the circuit would reopen after the window or the expiration', () => {
    assert.equal(deferredUpdate(1, circuit, 'e', { expiresAt: NOW + 100, createdAt: NOW }, policy).state, 'expired');
    assert.equal(deferredUpdate(1, circuit, 'e', { expiresAt: null, createdAt: NOW - 24 * HOUR }, policy).state, 'failed');
  });
});
