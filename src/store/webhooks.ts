import type { Kysely, Selectable } from 'kysely';
import type { Schema, WebhookTable } from './schema.ts';
import type { WebhookStore } from './roles/webhooks.ts';

export type WebhookRecord = Selectable<WebhookTable>;

export function webhooksRepository(db: Kysely<Schema>): WebhookStore {
  return {
    async get(tenantId: string): Promise<WebhookRecord | undefined> {
      return db.selectFrom('webhooks').selectAll().where('tenantId', '=', tenantId).executeTakeFirst();
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
