import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rowUpdate } from '../../src/delivery/attempt-outcome.ts';

const policy = { maxAttempts: 3 };
const NOW = 1_000_000;

describe('rowUpdate: what an attempt leaves in the delivery row', () => {
  it('ends a row as delivered, invalid, rejected or expired', () => {
    for (const c of ['delivered', 'invalid', 'rejected', 'expired'] as const) {
      assert.equal(rowUpdate(1, 0, { class: c, status: 200, reason: null }, null, policy, NOW).state, c);
    }
  });

  it('schedules a retry after the wait the push service asked for', () => {
    const u = rowUpdate(1, 0, { class: 'retry', status: 503, reason: 'ServiceUnavailable', retryAfterMs: 4000 }, null, policy, NOW);
    assert.equal(u.state, 'pending');
    assert.equal(u.nextAttemptAt, NOW + 4000);
    assert.equal(u.lastReason, 'ServiceUnavailable');
  });

  it('gives up when the retry budget is spent, saying so', () => {
    const u = rowUpdate(1, 2, { class: 'retry', status: 503, reason: 'ServiceUnavailable', retryAfterMs: 10 }, null, policy, NOW);
    assert.equal(u.state, 'failed');
    assert.match(u.lastReason!, /gave up after 3 attempts/);
  });

  it('expires a row now rather than retrying past the notification\'s expiration', () => {
    const u = rowUpdate(1, 0, { class: 'retry', status: 429, reason: 'TooManyRequests', retryAfterMs: 60_000 }, NOW + 1000, policy, NOW);
    assert.equal(u.state, 'expired');
  });

  it('keeps a row pending and uncounted on a credential failure: nothing is burned', () => {
    const u = rowUpdate(1, 2, { class: 'credential', status: 403, reason: 'BadCertificate' }, null, policy, NOW);
    assert.equal(u.state, 'pending');
    assert.equal(u.countsAsAttempt, false);
  });
});
