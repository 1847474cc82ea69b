import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../src/delivery/circuit-breaker.ts';

function breaker() {
  const clock = { now: 0 };
  return { clock, cb: new CircuitBreaker({ threshold: 3, openMs: 1000, maxOpenMs: 4000, now: () => clock.now }) };
}

describe('CircuitBreaker: an unreachable endpoint stops being tried', () => {
  it('lets sends through until failures in a row reach the threshold', () => {
    const { cb } = breaker();
    cb.failed('apns');
    cb.failed('apns');
    assert.equal(cb.admit('apns').allowed, true);
    cb.failed('apns');
    const a = cb.admit('apns');
    assert.equal(a.allowed, false);
    assert.equal(!a.allowed && a.retryAt, 1000);
  });

  it('forgets failures once the endpoint answers', () => {
    const { cb } = breaker();
    cb.failed('apns');
    cb.failed('apns');
    cb.succeeded('apns');
    cb.failed('apns');
    assert.equal(cb.admit('apns').allowed, true);
  });

  it('keeps endpoints apart', () => {
    const { cb } = breaker();
    for (let i = 0; i < 3; i++) cb.failed('mpns a.example');
    assert.equal(cb.admit('apns').allowed, true);
    assert.deepEqual(cb.open(), ['mpns a.example']);
  });

  it('lets exactly one probe through once the open time has passed', () => {
    const { clock, cb } = breaker();
    for (let i = 0; i < 3; i++) cb.failed('apns');
    clock.now = 1000;
    assert.equal(cb.admit('apns').allowed, true);
    assert.equal(cb.admit('apns').allowed, false);
  });

  it('doubles the open time after each failed probe, up to the cap', () => {
    const { clock, cb } = breaker();
    for (let i = 0; i < 3; i++) cb.failed('apns');
    const opens: number[] = [];
    for (let round = 0; round < 4; round++) {
      const closed = cb.admit('apns');
      assert.equal(closed.allowed, false);
      clock.now = closed.allowed ? clock.now : closed.retryAt;
      assert.equal(cb.admit('apns').allowed, true, 'the probe');
      cb.failed('apns');
      const next = cb.admit('apns');
      opens.push(next.allowed ? 0 : next.openMs);
    }
    assert.deepEqual(opens, [2000, 4000, 4000, 4000]);
  });

  it('closes when the probe is answered', () => {
    const { clock, cb } = breaker();
    for (let i = 0; i < 3; i++) cb.failed('apns');
    clock.now = 1000;
    assert.equal(cb.admit('apns').allowed, true);
    cb.succeeded('apns');
    assert.equal(cb.admit('apns').allowed, true);
    assert.deepEqual(cb.open(), []);
  });
});
