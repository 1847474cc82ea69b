// The next claim's size (src/delivery/worker.ts, nextClaimLimit): a fan-out sharing claims with
// other tenants' single pushes gets the batch it would get alone, tenants' shares stay equal,
// and a shallow backlog claims one batch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CLAIM_FACTOR, nextClaimLimit } from '../../src/delivery/worker.ts';

const rows = (counts: Record<string, number>) => Object.entries(counts).flatMap(([tenantId, n]) => Array.from({ length: n }, () => ({ tenantId })));

describe('claim size', () => {
  it('claims one batch when the queue was empty or one tenant had it all', () => {
    assert.equal(nextClaimLimit([], 3000, 1000), 1000);
    assert.equal(nextClaimLimit(rows({ fan: 1000 }), 1000, 1000), 1000);
    assert.equal(nextClaimLimit(rows({ fan: 10 }), 1000, 1000), 1000);
  });

  it('claims a batch per tenant when a tenant filled its share: the fan-out gets a whole batch beside a single push', () => {
    // 1000 shared by two tenants: 500 each; the fan-out filled its half.
    assert.equal(nextClaimLimit(rows({ fan: 500, single: 1 }), 1000, 1000), 2000);
    // Then 1000 each: the fan-out fills its share again and the size holds.
    assert.equal(nextClaimLimit(rows({ fan: 1000, single: 2 }), 2000, 1000), 2000);
    // The fan-out ran out: back to one batch.
    assert.equal(nextClaimLimit(rows({ fan: 200, single: 1 }), 2000, 1000), 1000);
  });

  it(`asks for at most ${MAX_CLAIM_FACTOR} batches however many tenants share a claim`, () => {
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${i}`, 50]));
    assert.equal(nextClaimLimit(rows(many), 1000, 1000), MAX_CLAIM_FACTOR * 1000);
    assert.equal(nextClaimLimit(rows(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${i}`, 49]))), 1000, 1000), 1000, 'no share filled: shallow');
  });
});
