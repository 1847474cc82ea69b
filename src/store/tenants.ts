import type { Kysely, Selectable } from 'kysely';
import type { Schema, TenantTable } from './schema.ts';
import { newId } from './ids.ts';

export type Tenant = Selectable<TenantTable>;

export function tenantsRepository(db: Kysely<Schema>) {
  return {
    async create(name: string, now = Date.now()): Promise<Tenant> {
      const tenant: Tenant = { id: newId('ten'), name, createdAt: now, pausedReason: null, pausedAt: null };
      await db.insertInto('tenants').values(tenant).execute();
      return tenant;
    },
    async get(id: string): Promise<Tenant | undefined> {
      return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async getByName(name: string): Promise<Tenant | undefined> {
      return db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
    },
    async list(): Promise<Tenant[]> {
      return db.selectFrom('tenants').selectAll().orderBy('createdAt').orderBy('id').execute();
    },
    /** Pause a tenant's sending after a credential failure; rows wait, nothing is burned. */
    async pause(id: string, reason: string, now = Date.now()): Promise<void> {
      await db.updateTable('tenants').set({ pausedReason: reason, pausedAt: now }).where('id', '=', id).where('pausedReason', 'is', null).execute();
    },
    async resume(id: string): Promise<void> {
      await db.updateTable('tenants').set({ pausedReason: null, pausedAt: null }).where('id', '=', id).execute();
    },
    async pausedIds(): Promise<string[]> {
      return (await db.selectFrom('tenants').select('id').where('pausedReason', 'is not', null).execute()).map((r) => r.id);
    },
  };
}
