import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { runAtomically } from '../../src/store/atomic.ts';
import { prepareQuery, prepareStatements } from '../../src/store/prepared-query.ts';
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

    it('fills a transaction\'s statements anew on every call, one value in several places and statements alike', async () => {
      const store = await backend.open();
      const { db, atomic } = store.database;
      let builds = 0;
      const statements = prepareStatements<'key' | 'value'>((param) => {
        builds++;
        return [
          db.insertInto('meta').values({ key: param('key'), value: param('value') }).compile(),
          sql<{ key: string; value: string }>`SELECT key, value || '/' || ${param('key')} AS value FROM meta WHERE key = ${param('key')}`.compile(db),
        ];
      });
      const first = await runAtomically(db, atomic, statements({ key: 'k1', value: 'one' }));
      const second = await runAtomically(db, atomic, statements({ key: 'k2', value: 'two' }));
      assert.deepEqual(first.at(-1)!.rows, [{ key: 'k1', value: 'one/k1' }]);
      assert.deepEqual(second.at(-1)!.rows, [{ key: 'k2', value: 'two/k2' }]);
      assert.equal(builds, 1, 'built and compiled once');
      assert.equal(await store.getMeta('k2'), 'two');
    });
  });
}
