import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byUrgency, expiryLevel, urgencyOf } from '../../src/console/expiry.ts';

// The console's urgency rules are pure, so they are checked here without a browser.
const tenant = (name: string, mdm: { state: string; daysLeft: number | null }, mpnsDays?: number) => ({ name, mdm, mpns: mpnsDays === undefined ? null : { daysLeft: mpnsDays } });

describe('console expiry badges and urgency', () => {
  it('expiry levels are expired, under 7 days, under 30 days, and fine', () => {
    assert.equal(expiryLevel(-1), 'expired');
    assert.equal(expiryLevel(10, true), 'expired');
    assert.equal(expiryLevel(0), 'critical');
    assert.equal(expiryLevel(6), 'critical');
    assert.equal(expiryLevel(7), 'warning');
    assert.equal(expiryLevel(29), 'warning');
    assert.equal(expiryLevel(30), 'ok');
  });

  it('tenants sort expired first, then under 7, under 30, not set up, fine; fewer days first within a level', () => {
    const sorted = byUrgency([
      tenant('fine', { state: 'active', daysLeft: 300 }),
      tenant('new', { state: 'none', daysLeft: null }),
      tenant('soon', { state: 'active', daysLeft: 25 }),
      tenant('sooner', { state: 'renewing', daysLeft: 12 }),
      tenant('urgent', { state: 'active', daysLeft: 2 }),
      tenant('expired', { state: 'expired', daysLeft: -3 }),
      tenant('onboarding', { state: 'awaiting-apple', daysLeft: null }),
    ]);
    assert.deepEqual(sorted.map((t) => t.name), ['expired', 'urgent', 'sooner', 'soon', 'new', 'onboarding', 'fine']);
  });

  it('the worse of the MDM and MPNS credentials decides', () => {
    assert.deepEqual(urgencyOf(tenant('a', { state: 'active', daysLeft: 200 }, 3)), { rank: 1, daysLeft: 3 });
    assert.deepEqual(urgencyOf(tenant('b', { state: 'none', daysLeft: null }, -1)), { rank: 0, daysLeft: -1 });
  });

  it('an expired state counts as expired even when the day count rounds to zero', () => {
    assert.equal(urgencyOf(tenant('c', { state: 'expired', daysLeft: 0 })).rank, 0);
  });
});
