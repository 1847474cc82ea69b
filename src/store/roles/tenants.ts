import type { Tenant } from '../tenants.ts';

/**
 * Role: the tenants themselves, and which of their platforms are paused after a credential
 * failure. Implemented by `tenantsRepository` (src/store/tenants.ts).
 */
export interface TenantStore {
  create(name: string, now?: number): Promise<Tenant>;
  get(id: string): Promise<Tenant | undefined>;
  getByName(name: string): Promise<Tenant | undefined>;
  /** Every tenant, oldest first. */
  list(): Promise<Tenant[]>;
  /** Pause one platform (or 'all'); its rows wait with nothing burned. A second pause keeps the first reason. */
  pause(id: string, reason: string, now?: number, platform?: string): Promise<void>;
  /** Lift the pause of one platform (or every one); the rows it parked come due at `now`. */
  resume(id: string, platform?: 'mdm' | 'apns' | 'mpns', now?: number): Promise<void>;
  /** Ids of tenants with anything paused. */
  pausedIds(): Promise<string[]>;
  /** Every paused tenant platform ('all' for a whole-tenant pause). */
  pausedPlatforms(): Promise<Array<{ tenantId: string; platform: string }>>;
}

/** The part of the store a use-case that reads or changes tenants asks for. */
export interface TenantsRole {
  readonly tenants: TenantStore;
}
