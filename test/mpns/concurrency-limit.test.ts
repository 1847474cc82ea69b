import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyLimit } from '../../src/mpns/concurrency-limit.ts';

describe('concurrency limit', () => {
  it('never runs more than its maximum at once', async () => {
    const limit = new ConcurrencyLimit(3);
    let running = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 20 }, () => limit.run(async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    })));
    assert.equal(most, 3);
  });

  it('runs waiting tasks in arrival order', async () => {
    const limit = new ConcurrencyLimit(1);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => limit.run(async () => { order.push(n); })));
    assert.deepEqual(order, [1, 2, 3, 4]);
  });

  it('frees the slot when a task fails', async () => {
    const limit = new ConcurrencyLimit(1);
    await assert.rejects(limit.run(() => Promise.reject(new Error('boom'))));
    assert.equal(await limit.run(() => Promise.resolve('next')), 'next');
    assert.equal(limit.active, 0);
  });
});
