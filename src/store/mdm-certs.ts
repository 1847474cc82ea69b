import type { Kysely, Selectable, Updateable } from 'kysely';
import { prepareQuery } from './prepared-query.ts';
import type { MdmCertTable, Schema } from './schema.ts';
import type { MdmCertStore } from './roles/credentials.ts';

export type MdmCertRecord = Selectable<MdmCertTable>;

export function mdmCertsRepository(db: Kysely<Schema>): MdmCertStore {
  // Read by every MDM send and every batch the worker sends: compiled once.
  const byTenant = prepareQuery<MdmCertRecord, 'tenantId'>(db, (param) => db.selectFrom('mdmCerts').selectAll().where('tenantId', '=', param('tenantId')));
  return {
    async get(tenantId: string): Promise<MdmCertRecord | undefined> {
      return (await byTenant({ tenantId })).rows[0];
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
