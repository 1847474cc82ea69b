import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareQuery } from '../../src/store/prepared-query.ts';
import { backends } from '../fixtures/backends.ts';

for (const backend of await backends()) {
  describe(`prepared queries on ${backend.name}`, { skip: backend.skip }, () => {
    it('gives every run its own values, keeps the constants the query wrote, and camel-cases the rows', async () => {
      const store = await backend.open();
      const { db } = store.database;
      for (const [key, value] of [['a1', 'x'], ['a2', 'y'], ['b1', 'x'], ['b2', 'x']]) await store.setMeta(key!, value!);
      const query = prepareQuery<{ key: string; sameValue: string }, 'prefix' | 'limit'>(db, (param) => db.selectFrom('meta')
        .select(['key', 'value as sameValue'])
        .where('key', 'like', param('prefix'))
        .where('value', '=', 'x')
        .orderBy('key')
        .limit(param('limit')));
      assert.deepEqual((await query({ prefix: 'a%', limit: 10 })).rows, [{ key: 'a1', sameValue: 'x' }]);
      assert.deepEqual((await query({ prefix: 'b%', limit: 1 })).rows, [{ key: 'b1', sameValue: 'x' }]);
      assert.deepEqual((await query({ prefix: 'b%', limit: 5 })).rows.map((r) => r.key), ['b1', 'b2']);
    });
  });
}
