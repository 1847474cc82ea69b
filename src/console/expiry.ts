// How urgent a certificate is, and the order the operator sees tenants in. Pure (no DOM), so
// the rules are tested in Node too (test/e2e/console-expiry.test.ts).

/** Badge levels, most urgent first. */
export type ExpiryLevel = 'expired' | 'critical' | 'warning' | 'ok';

/** Apple's email reminders are easy to miss; these thresholds match the badges in the issue. */
export const CRITICAL_DAYS = 7;
export const WARNING_DAYS = 30;

export function expiryLevel(daysLeft: number, expired = false): ExpiryLevel {
  if (expired || daysLeft < 0) return 'expired';
  if (daysLeft < CRITICAL_DAYS) return 'critical';
  if (daysLeft < WARNING_DAYS) return 'warning';
  return 'ok';
}

/** What the operator's list needs to know about a tenant (a subset of GET /v1/tenants items). */
export interface TenantCredentials {
  name: string;
  mdm: { state: string; daysLeft: number | null };
  mpns: { daysLeft: number } | null;
}

/**
 * A tenant's place in the operator's list: expired first, then < 7 days, then < 30 days, then
 * tenants with no working push certificate yet (they need onboarding), then the fine ones.
 * Within a level, fewer days left comes first. Both credentials count: the worse one decides.
 */
export function urgencyOf(tenant: TenantCredentials): { rank: number; daysLeft: number } {
  const days: number[] = [];
  const mdmActive = tenant.mdm.daysLeft !== null && (tenant.mdm.state === 'active' || tenant.mdm.state === 'renewing' || tenant.mdm.state === 'expired');
  if (mdmActive) days.push(tenant.mdm.state === 'expired' ? Math.min(-1, tenant.mdm.daysLeft!) : tenant.mdm.daysLeft!);
  if (tenant.mpns) days.push(tenant.mpns.daysLeft);
  const worst = days.length > 0 ? Math.min(...days) : Number.POSITIVE_INFINITY;
  const level = days.length > 0 ? expiryLevel(worst) : null;
  if (level === 'expired') return { rank: 0, daysLeft: worst };
  if (level === 'critical') return { rank: 1, daysLeft: worst };
  if (level === 'warning') return { rank: 2, daysLeft: worst };
  if (!mdmActive) return { rank: 3, daysLeft: worst };
  return { rank: 4, daysLeft: worst };
}

/** Most urgent first; ties by name so the order is stable. */
export function byUrgency<T extends TenantCredentials>(tenants: readonly T[]): T[] {
  return tenants
    .map((tenant) => ({ tenant, urgency: urgencyOf(tenant) }))
    .sort((a, b) => a.urgency.rank - b.urgency.rank || a.urgency.daysLeft - b.urgency.daysLeft || a.tenant.name.localeCompare(b.tenant.name))
    .map((entry) => entry.tenant);
}
