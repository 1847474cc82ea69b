import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAtomically } from '../../src/store/atomic.ts';
import { backends } from '../fixtures/backends.ts';

for (const backend of await backends()) {
  describe(`atomic statement lists on ${backend.name}`, { skip: backend.skip }, () => {
    it('applies every statement and returns each one\'s rows, in order', async () => {
      const store = await backend.open();
      const { db, atomic } = store.database;
      const results = await runAtomically(db, atomic, [
        db.insertInto('meta').values({ key: 'one', value: '1' }).compile(),
        db.insertInto('meta').values({ key: 'two', value: '2' }).returning('value').compile(),
        db.updateTable('meta').set({ value: '3' }).where('key', 'in', ['one', 'two']).compile(),
      ]);
      assert.deepEqual(results[1]!.rows, [{ value: '2' }]);
      assert.equal(results[2]!.numAffectedRows, 2n);
      assert.deepEqual([await store.getMeta('one'), await store.getMeta('two')], ['3', '3']);
    });

    it('stores every value exactly as given: quotes, backslashes and placeholder-like text stay data', async () => {
      const store = await backend.open();
      const { db, atomic } = store.database;
      const tricky = ["it's", 'back\\slash \\\' quote', '$2 and $1', "'); DROP TABLE meta; --", 'ünïcode ✓', ''];
      await runAtomically(db, atomic, tricky.map((value, i) => db.insertInto('meta').values({ key: `k${i}`, value }).compile()));
      for (const [i, value] of tricky.entries()) assert.equal(await store.getMeta(`k${i}`), value);
      // Numbers and nulls reach typed columns as they do through parameters.
      const [row] = (await runAtomically(db, atomic, [db.selectNoFrom((eb) => [eb.val(-5).as('n'), eb.val(null).as('z')]).compile()]))[0]!.rows;
      assert.equal(Number(row!.n), -5);
      assert.equal(row!.z, null);
    });

    it('never stores a value cut short at a NUL character: it is stored whole or refused', async () => {
      const store = await backend.open();
      const { db, atomic } = store.database;
      const value = "before\0after'); DELETE FROM meta; --";
      await store.setMeta('kept', 'yes');
      const outcome = await runAtomically(db, atomic, [db.insertInto('meta').values({ key: 'nul', value }).compile()]).then(() => 'stored', () => 'refused');
      assert.equal(await store.getMeta('nul'), outcome === 'stored' ? value : undefined);
      assert.equal(await store.getMeta('kept'), 'yes');
    });

    it('applies none of the statements when one fails, and reports its error', async () => {
      const store = await backend.open();
      const { db, atomic } = store.database;
      await store.setMeta('taken', 'x');
      await assert.rejects(runAtomically(db, atomic, [
        db.insertInto('meta').values({ key: 'first', value: '1' }).compile(),
        db.insertInto('meta').values({ key: 'taken', value: 'again' }).compile(),
      ]), /unique|duplicate/i);
      assert.equal(await store.getMeta('first'), undefined);
      // The writer is free again afterwards.
      await store.setMeta('after', 'ok');
      assert.equal(await store.getMeta('after'), 'ok');
    });
  });
}
