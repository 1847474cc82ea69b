import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryQuotaStore } from '../../src/mpns/memory-quota-store.ts';
import { DailyQuota, formatUtc, nextUtcMidnight, utcDay } from '../../src/mpns/quota.ts';
import { isCertpushError } from '../../src/errors.ts';

const noon = new Date('2025-06-01T12:00:00Z');

async function takeMany(quota: DailyQuota, subscription: string, times: number, now: Date) {
  const decisions = [];
  for (let i = 0; i < times; i++) decisions.push(await quota.take(subscription, now));
  return decisions;
}

describe('daily quota', () => {
  it('allows 500 notifications per subscription per day by default', async () => {
    const decisions = await takeMany(new DailyQuota(new MemoryQuotaStore()), 'uri-a', 500, noon);
    assert.ok(decisions.every((d) => d.allowed));
    assert.equal(decisions.at(-1)!.used, 500);
  });

  it('refuses the 501st notification of the day', async () => {
    const quota = new DailyQuota(new MemoryQuotaStore());
    await takeMany(quota, 'uri-a', 500, noon);
    const decision = await quota.take('uri-a', noon);
    assert.equal(decision.allowed, false);
    assert.equal(decision.used, 500);
  });

  it('counts each subscription separately', async () => {
    const quota = new DailyQuota(new MemoryQuotaStore(), 2);
    await takeMany(quota, 'uri-a', 2, noon);
    assert.equal((await quota.take('uri-b', noon)).allowed, true);
  });

  it('starts again at midnight UTC', async () => {
    const quota = new DailyQuota(new MemoryQuotaStore(), 1);
    await quota.take('uri-a', new Date('2025-06-01T23:59:59Z'));
    assert.equal((await quota.take('uri-a', new Date('2025-06-02T00:00:00Z'))).allowed, true);
  });

  it('says the count resets at the next UTC midnight', async () => {
    const decision = await new DailyQuota(new MemoryQuotaStore()).take('uri-a', noon);
    assert.equal(decision.resetsAt.toISOString(), '2025-06-02T00:00:00.000Z');
  });

  it('refuses the rest of the day once MPNS said 406', async () => {
    const quota = new DailyQuota(new MemoryQuotaStore());
    await quota.take('uri-a', noon);
    await quota.exhaust('uri-a', noon);
    assert.equal((await quota.take('uri-a', noon)).allowed, false);
  });

  it('takes a configurable limit', async () => {
    const quota = new DailyQuota(new MemoryQuotaStore(), 3);
    assert.deepEqual((await takeMany(quota, 'uri-a', 4, noon)).map((d) => d.allowed), [true, true, true, false]);
  });

  it('refuses a limit that is not a whole number', () => {
    assert.throws(() => new DailyQuota(new MemoryQuotaStore(), 1.5), (e) => isCertpushError(e, 'MPNS_QUOTA_LIMIT'));
  });
});

describe('UTC days', () => {
  it('names the UTC day, not the local one', () => {
    assert.equal(utcDay(new Date('2025-06-01T23:30:00-05:00')), '2025-06-02');
  });

  it('finds the next midnight across a month end', () => {
    assert.equal(nextUtcMidnight(new Date('2025-12-31T18:00:00Z')).toISOString(), '2026-01-01T00:00:00.000Z');
  });

  it('formats times as "YYYY-MM-DD HH:MM UTC"', () => {
    assert.equal(formatUtc(new Date('2025-06-02T00:00:00Z')), '2025-06-02 00:00 UTC');
  });
});
