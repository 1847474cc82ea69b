import type { Kysely, Selectable } from 'kysely';
import { prepareQuery } from './prepared-query.ts';
import type { Schema, WebhookTable } from './schema.ts';
import type { WebhookStore } from './roles/webhooks.ts';

export type WebhookRecord = Selectable<WebhookTable>;

export function webhooksRepository(db: Kysely<Schema>): WebhookStore {
  // Read for every event a tenant's notifications raise: compiled once.
  const byTenant = prepareQuery<WebhookRecord, 'tenantId'>(db, (param) => db.selectFrom('webhooks').selectAll().where('tenantId', '=', param('tenantId')));
  return {
    async get(tenantId: string): Promise<WebhookRecord | undefined> {
      return (await byTenant({ tenantId })).rows[0];
    },
    async put(record: WebhookRecord): Promise<void> {
      const { tenantId, ...values } = record;
      await db.insertInto('webhooks').values(record).onConflict((oc) => oc.column('tenantId').doUpdateSet(values)).execute();
    },
    async remove(tenantId: string): Promise<boolean> {
      return Number((await db.deleteFrom('webhooks').where('tenantId', '=', tenantId).executeTakeFirst()).numDeletedRows) > 0;
    },
  };
}
