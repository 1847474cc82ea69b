import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StreamTable } from '../../../src/apns/http2/stream-table.ts';

interface Entry {
  id: number;
}

test('an added stream is found by its id until it is deleted', () => {
  const table = new StreamTable<Entry>();
  const one = { id: 1 };
  table.add(one);
  table.add({ id: 3 });
  assert.equal(table.get(1), one);
  assert.equal(table.size, 2);
  assert.equal(table.delete(1), one);
  assert.equal(table.get(1), undefined);
  assert.equal(table.delete(1), undefined);
  assert.equal(table.size, 1);
});

test('ids that share a slot (a stream outlived many later ones) are all found, and deleting one keeps the others', () => {
  // Capacity 8: ids 1, 17 and 33 all start at slot 0.
  const table = new StreamTable<Entry>(8);
  for (const id of [1, 17, 33]) table.add({ id });
  assert.deepEqual([1, 17, 33].map((id) => table.get(id)?.id), [1, 17, 33]);
  table.delete(1);
  assert.equal(table.get(17)?.id, 17);
  assert.equal(table.get(33)?.id, 33);
  table.delete(17);
  assert.equal(table.get(33)?.id, 33);
});

test('the table grows past its first capacity and keeps every entry', () => {
  const table = new StreamTable<Entry>(8);
  for (let id = 1; id < 2000; id += 2) table.add({ id });
  assert.equal(table.size, 1000);
  for (let id = 1; id < 2000; id += 2) assert.equal(table.get(id)?.id, id);
  assert.equal(table.values().length, 1000);
});

test('values() is a snapshot: deleting while walking it is safe; clear() empties the table', () => {
  const table = new StreamTable<Entry>();
  for (let id = 1; id <= 9; id += 2) table.add({ id });
  for (const entry of table.values()) table.delete(entry.id);
  assert.equal(table.size, 0);
  table.add({ id: 11 });
  table.clear();
  assert.equal(table.get(11), undefined);
  assert.equal(table.size, 0);
});

test('the table behaves like a Map under any sequence of new streams and closes', () => {
  // Streams open in id order (as on a connection) and close in any order, with wrap-around.
  fc.assert(fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(200))), (ops) => {
    const table = new StreamTable<Entry>(8);
    const model = new Map<number, Entry>();
    let nextId = 1;
    for (const op of ops) {
      if (op < 0 || model.size === 0) {
        const entry = { id: nextId };
        nextId += 2;
        table.add(entry);
        model.set(entry.id, entry);
      } else {
        const ids = [...model.keys()];
        const id = ids[op % ids.length]!;
        assert.equal(table.delete(id), model.get(id));
        model.delete(id);
      }
      assert.equal(table.size, model.size);
    }
    for (const [id, entry] of model) assert.equal(table.get(id), entry);
    for (let id = 1; id < nextId; id += 2) if (!model.has(id)) assert.equal(table.get(id), undefined);
    assert.deepEqual(table.values().map((e) => e.id).sort((a, b) => a - b), [...model.keys()].sort((a, b) => a - b));
  }), { numRuns: 300 });
});
