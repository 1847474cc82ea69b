/**
 * Role: the unauthenticated MPNS daily quota, per subscription and UTC day, shared by every
 * worker. Implemented by `mpnsQuotaRepository` (src/store/mpns-quota.ts); src/mpns's
 * `QuotaStore` is the sender's view of it (src/delivery/database-quota-store.ts adapts).
 */
export interface MpnsQuotaStore {
  /** Count one notification unless `limit` is reached, atomically across workers. */
  take(subscription: string, day: string, limit: number): Promise<{ taken: boolean; used: number }>;
  /** MPNS said the day's quota is used up (406): record it as used up. */
  exhaust(subscription: string, day: string, limit: number): Promise<void>;
  /** Forget days before `day`. */
  prune(day: string): Promise<void>;
}

/** The part of the store that counts MPNS quota. */
export interface QuotaRole {
  readonly mpnsQuota: MpnsQuotaStore;
}
