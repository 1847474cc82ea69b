import type { Kysely, Selectable, Updateable } from 'kysely';
import type { MdmCertTable, Schema } from './schema.ts';
import type { MdmCertStore } from './roles/credentials.ts';

export type MdmCertRecord = Selectable<MdmCertTable>;

export function mdmCertsRepository(db: Kysely<Schema>): MdmCertStore {
  return {
    async get(tenantId: string): Promise<MdmCertRecord | undefined> {
      return db.selectFrom('mdmCerts').selectAll().where('tenantId', '=', tenantId).executeTakeFirst();
    },
    /** Create or change the tenant's record (one per tenant). */
    async upsert(tenantId: string, values: Omit<Updateable<MdmCertTable>, 'tenantId'>, now = Date.now()): Promise<void> {
      const empty: MdmCertRecord = {
        tenantId, certPem: null, keySealed: null, topic: null, notAfter: null, fingerprint: null,
        pendingKeySealed: null, pendingCsrPem: null, pendingRequest: null, warned: '', updatedAt: now,
      };
      await db.insertInto('mdmCerts')
        .values({ ...empty, ...values, tenantId, updatedAt: now } as MdmCertRecord)
        .onConflict((oc) => oc.column('tenantId').doUpdateSet({ ...values, updatedAt: now }))
        .execute();
    },
    /**
     * Record that an expiry warning was sent, only if nobody else recorded it first (several
     * workers may run the monitor): true when this call won and should send the warning.
     */
    async markWarned(tenantId: string, from: string, to: string): Promise<boolean> {
      const result = await db.updateTable('mdmCerts').set({ warned: to }).where('tenantId', '=', tenantId).where('warned', '=', from).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async list(): Promise<MdmCertRecord[]> {
      return db.selectFrom('mdmCerts').selectAll().execute();
    },
  };
}
