import type { Kysely, Selectable } from 'kysely';
import type { MpnsCredentialTable, Schema } from './schema.ts';
import type { MpnsCredentialStore } from './roles/credentials.ts';

export type MpnsCredentialRecord = Selectable<MpnsCredentialTable>;

export function mpnsCredentialsRepository(db: Kysely<Schema>): MpnsCredentialStore {
  return {
    async get(tenantId: string): Promise<MpnsCredentialRecord | undefined> {
      return db.selectFrom('mpnsCredentials').selectAll().where('tenantId', '=', tenantId).executeTakeFirst();
    },
    async put(record: MpnsCredentialRecord): Promise<void> {
      const { tenantId, ...values } = record;
      await db.insertInto('mpnsCredentials').values(record).onConflict((oc) => oc.column('tenantId').doUpdateSet(values)).execute();
    },
    /** As mdmCerts.markWarned: true when this call recorded the warning first. */
    async markWarned(tenantId: string, from: string, to: string): Promise<boolean> {
      const result = await db.updateTable('mpnsCredentials').set({ warned: to }).where('tenantId', '=', tenantId).where('warned', '=', from).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async list(): Promise<MpnsCredentialRecord[]> {
      return db.selectFrom('mpnsCredentials').selectAll().execute();
    },
  };
}
