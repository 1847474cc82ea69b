import { daysLeft, parseCertificate } from '../pki/certificate.ts';
import type { ServiceContext } from '../service/context.ts';
import { emitWebhookEvent } from '../service/webhooks.ts';

/** Days before expiry at which tenants are warned, once each. */
export const EXPIRY_THRESHOLDS = [30, 14, 7] as const;

/** The warning a certificate with `days` left is due, or null. */
export function dueWarning(days: number, warned: string): string | null {
  const sent = new Set(warned.split(',').filter(Boolean));
  if (days < 0) return sent.has('expired') ? null : 'expired';
  // The tightest threshold reached and not yet warned about (one warning per check).
  const reached = EXPIRY_THRESHOLDS.filter((t) => days <= t).at(-1);
  return reached !== undefined && !sent.has(String(reached)) ? String(reached) : null;
}

export interface ExpiryFinding {
  tenantId: string;
  kind: 'mdm' | 'mpns';
  mark: string;
  daysLeft: number;
}

/**
 * Look at every stored credential and send the expiry warnings that are due (30/14/7 days,
 * then expired) as certificate.expiring / certificate.expired webhook events. Each warning is
 * recorded first with a compare-and-set, so several workers never send it twice.
 */
export async function checkExpiries(ctx: ServiceContext): Promise<ExpiryFinding[]> {
  const now = ctx.now();
  const found: ExpiryFinding[] = [];
  const credentials = [
    ...(await ctx.store.mdmCerts.list()).filter((r) => r.certPem).map((r) => ({ kind: 'mdm' as const, tenantId: r.tenantId, certPem: r.certPem!, warned: r.warned, topic: r.topic })),
    ...(await ctx.store.mpnsCredentials.list()).map((r) => ({ kind: 'mpns' as const, tenantId: r.tenantId, certPem: r.certPem, warned: r.warned, topic: null })),
  ];
  for (const c of credentials) {
    const cert = parseCertificate(c.certPem);
    const days = daysLeft(cert, now);
    const mark = dueWarning(days, c.warned);
    if (!mark) continue;
    const next = [...c.warned.split(',').filter(Boolean), mark].join(',');
    const repo = c.kind === 'mdm' ? ctx.store.mdmCerts : ctx.store.mpnsCredentials;
    if (!(await repo.markWarned(c.tenantId, c.warned, next))) continue;
    found.push({ tenantId: c.tenantId, kind: c.kind, mark, daysLeft: days });
    await emitWebhookEvent(ctx, c.tenantId, mark === 'expired' ? 'certificate.expired' : 'certificate.expiring', {
      kind: c.kind, notAfter: cert.notAfter.toISOString(), daysLeft: days, ...(c.topic ? { topic: c.topic } : {}), subject: cert.subject.text,
    });
    await ctx.store.audit.record({ tenantId: c.tenantId, actor: 'system', action: mark === 'expired' ? 'certificate.expired' : 'certificate.expiring', detail: { kind: c.kind, daysLeft: days } });
  }
  return found;
}
