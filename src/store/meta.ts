import type { Kysely } from 'kysely';
import type { MetaStore } from './roles/meta.ts';
import type { Schema } from './schema.ts';

/** Small named values in the `meta` table, one row per key. */
export function metaRepository(db: Kysely<Schema>): MetaStore {
  return {
    async getMeta(key) {
      return (await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
    },
    async setMeta(key, value) {
      await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    },
    async claimMeta(key, value) {
      await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
      return (await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirstOrThrow()).value;
    },
  };
}
