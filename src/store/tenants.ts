import type { Kysely, Selectable } from 'kysely';
import type { Schema, TenantTable } from './schema.ts';
import { newId } from './ids.ts';
import { prepareQuery } from './prepared-query.ts';
import type { TenantStore } from './roles/tenants.ts';

export type Tenant = Selectable<TenantTable>;

export function tenantsRepository(db: Kysely<Schema>): TenantStore {
  // Asked by most tenant-scoped requests: compiled once.
  const byId = prepareQuery<Tenant, 'id'>(db, (param) => db.selectFrom('tenants').selectAll().where('id', '=', param('id')));
  return {
    async create(name: string, now = Date.now()): Promise<Tenant> {
      const tenant: Tenant = { id: newId('ten'), name, createdAt: now, pausedReason: null, pausedAt: null };
      await db.insertInto('tenants').values(tenant).execute();
      return tenant;
    },
    async get(id: string): Promise<Tenant | undefined> {
      return (await byId({ id })).rows[0];
    },
    async getByName(name: string): Promise<Tenant | undefined> {
      return db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
    },
    async list(): Promise<Tenant[]> {
      return db.selectFrom('tenants').selectAll().orderBy('createdAt').orderBy('id').execute();
    },
    /**
     * Pause one platform of a tenant after a credential failure; rows wait, nothing is burned.
     * The tenant's own pausedReason says that something is paused (the API's `paused`).
     */
    async pause(id: string, reason: string, now = Date.now(), platform = 'all'): Promise<void> {
      await db.insertInto('platformPauses').values({ tenantId: id, platform, reason, pausedAt: now }).onConflict((oc) => oc.columns(['tenantId', 'platform']).doNothing()).execute();
      await db.updateTable('tenants').set({ pausedReason: platform === 'all' ? reason : `${platform}: ${reason}`, pausedAt: now }).where('id', '=', id).where('pausedReason', 'is', null).execute();
    },
    /**
     * Resume a platform (a new credential for it), or every platform. Its rows parked by the
     * pause come due now.
     */
    async resume(id: string, platform?: 'mdm' | 'apns' | 'mpns', now = Date.now()): Promise<void> {
      await db.transaction().execute(async (tx) => {
        let remove = tx.deleteFrom('platformPauses').where('tenantId', '=', id);
        if (platform) remove = remove.where((eb) => eb.or([eb('platform', '=', platform), eb('platform', '=', 'all')]));
        await remove.execute();
        const left = await tx.selectFrom('platformPauses').select(['platform', 'reason', 'pausedAt']).where('tenantId', '=', id).orderBy('pausedAt').executeTakeFirst();
        await tx.updateTable('tenants').set(left ? { pausedReason: `${left.platform}: ${left.reason}`, pausedAt: left.pausedAt } : { pausedReason: null, pausedAt: null }).where('id', '=', id).execute();
        // Parked rows: queued (so pending), last refused for the credential, due later.
        let wake = tx.updateTable('deliveryQueue').set({ nextAttemptAt: now })
          .where('tenantId', '=', id).where('lastClass', '=', 'credential').where('nextAttemptAt', '>', now);
        if (platform) wake = wake.where('deviceId', 'in', (eb) => eb.selectFrom('devices').select('devices.id').where('devices.tenantId', '=', id).where('devices.platform', '=', platform));
        await wake.execute();
      });
    },
    async pausedIds(): Promise<string[]> {
      return (await db.selectFrom('tenants').select('id').where('pausedReason', 'is not', null).execute()).map((r) => r.id);
    },
    /** Every paused tenant platform ('all' for a pause from before platforms were told apart). */
    async pausedPlatforms(): Promise<Array<{ tenantId: string; platform: string }>> {
      const pauses = await db.selectFrom('platformPauses').select(['tenantId', 'platform']).execute();
      // Tenants paused without a platform row (paused before migration 0004) stay paused whole.
      const whole = await db.selectFrom('tenants').select('id').where('pausedReason', 'is not', null)
        .where('id', 'not in', (eb) => eb.selectFrom('platformPauses').select('tenantId')).execute();
      return [...pauses, ...whole.map((t) => ({ tenantId: t.id, platform: 'all' }))];
    },
  };
}
