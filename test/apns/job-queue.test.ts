import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { JobQueue } from '../../src/apns/job-queue.ts';

test('items come out in the order they went in; unshift puts one at the front', () => {
  const q = new JobQueue<number>(2);
  q.push(1);
  q.push(2);
  q.push(3);
  q.unshift(0);
  assert.equal(q.length, 4);
  assert.deepEqual(q.drain(), [0, 1, 2, 3]);
  assert.equal(q.shift(), undefined);
});

test('the queue behaves like an array under any sequence of operations', () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.constant('shift'), fc.integer(), fc.integer().map((n) => -n - 1))), (ops) => {
    const q = new JobQueue<number>(2);
    const model: number[] = [];
    for (const op of ops) {
      if (op === 'shift') assert.equal(q.shift(), model.shift());
      else if (op >= 0) { q.push(op); model.push(op); } else { q.unshift(op); model.unshift(op); }
      assert.equal(q.length, model.length);
    }
    assert.deepEqual(q.drain(), model);
  }));
});

test('removeWhere takes out what it picks, front first, and keeps the rest in order, under any sequence of operations', () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.constant('shift'), fc.constant('remove-odd'), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }).map((n) => -n - 1))), (ops) => {
    const q = new JobQueue<number>(2);
    let model: number[] = [];
    for (const op of ops) {
      if (op === 'shift') assert.equal(q.shift(), model.shift());
      else if (op === 'remove-odd') {
        assert.deepEqual(q.removeWhere((n) => n % 2 !== 0), model.filter((n) => n % 2 !== 0));
        model = model.filter((n) => n % 2 === 0);
      } else if (op >= 0) { q.push(op); model.push(op); } else { q.unshift(op); model.unshift(op); }
      assert.equal(q.length, model.length);
    }
    assert.deepEqual(q.drain(), model);
  }));
});
