import { tenantPath } from '../api.ts';
import type { NotificationSummary, Tenant } from '../api-types.ts';
import { expiryBadge, stateBadge } from '../badges.ts';
import { timeElement } from '../dates.ts';
import { h } from '../dom.ts';
import { href } from '../router.ts';
import type { ViewContext } from '../view.ts';
import { tenantFrame } from './tenant-frame.ts';

/** A tenant at a glance: its credentials, devices and recent notifications, each with what to do next. */
export async function renderTenantHome(root: HTMLElement, ctx: ViewContext, route: { tenantId: string }): Promise<void> {
  const [tenant, notifications] = await Promise.all([
    ctx.api.get<Tenant>(tenantPath(route.tenantId), { signal: ctx.signal }),
    ctx.api.get<{ items: NotificationSummary[] }>(tenantPath(route.tenantId, '/notifications'), { signal: ctx.signal }),
  ]);
  root.replaceChildren(...tenantFrame(ctx, tenant, 'tenant', tenant.name,
    h('div', { class: 'cards' }, mdmCard(tenant), mpnsCard(tenant), devicesCard(tenant), notificationsCard(tenant, notifications.items))));
}

function mdmCard(tenant: Tenant): HTMLElement {
  const { mdm } = tenant;
  const next: Record<typeof mdm.state, string> = {
    'none': 'Set up the push certificate',
    'awaiting-signature': 'Continue: get the request signed',
    'awaiting-apple': 'Continue: get Apple\'s certificate',
    'active': 'Renew or inspect the certificate',
    'renewing': 'Continue the renewal',
    'expired': 'Renew the expired certificate now',
  };
  return h('section', { class: 'card', 'aria-labelledby': 'mdm-card-heading' },
    h('h2', { id: 'mdm-card-heading' }, 'MDM push certificate'),
    h('p', {}, stateBadge(mdm.state), ' ', mdm.daysLeft !== null ? expiryBadge(mdm.daysLeft, mdm.state === 'expired') : null),
    mdm.topic ? h('p', { class: 'meta' }, 'Topic ', h('code', { class: 'wrap' }, mdm.topic)) : null,
    mdm.notAfter ? h('p', { class: 'meta' }, 'Expires ', timeElement(mdm.notAfter)) : null,
    mdm.state === 'expired' ? h('p', { class: 'alert alert-error' }, 'Enrolled devices cannot be reached until the certificate is renewed.') : null,
    h('p', {}, h('a', { href: href.mdm(tenant.id), class: 'button-link' }, next[mdm.state])));
}

function mpnsCard(tenant: Tenant): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': 'mpns-card-heading' },
    h('h2', { id: 'mpns-card-heading' }, 'MPNS credential'),
    tenant.mpns
      ? [h('p', {}, 'Service Name ', h('code', {}, tenant.mpns.serviceName)), h('p', {}, 'Expires ', timeElement(tenant.mpns.notAfter), ' ', expiryBadge(tenant.mpns.daysLeft))]
      : h('p', {}, 'None: Windows Phone devices are sent to unauthenticated, at most 500 notifications per device per day.'),
    h('p', {}, h('a', { href: href.mpns(tenant.id), class: 'button-link' }, tenant.mpns ? 'Replace the credential' : 'Upload a credential')));
}

function devicesCard(tenant: Tenant): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': 'devices-card-heading' },
    h('h2', { id: 'devices-card-heading' }, 'Devices'),
    h('p', {}, `${tenant.devices.total} registered`, tenant.devices.invalid > 0 ? `, ${tenant.devices.invalid} invalid` : ''),
    h('p', {}, h('a', { href: href.devices(tenant.id), class: 'button-link' }, 'Browse devices')));
}

function notificationsCard(tenant: Tenant, items: NotificationSummary[]): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': 'notifications-card-heading' },
    h('h2', { id: 'notifications-card-heading' }, 'Recent notifications'),
    items.length === 0
      ? h('p', {}, 'None sent yet.')
      : h('ul', { class: 'plain-list' }, items.slice(0, 5).map((n) => h('li', {},
        h('a', { href: href.report(tenant.id, n.id) }, `${n.total} device${n.total === 1 ? '' : 's'}`), ' · ', timeElement(n.createdAt, 'datetime'),
        n.completedAt ? '' : h('span', { class: 'badge badge-info' }, 'sending')))),
    h('p', {}, h('a', { href: href.send(tenant.id), class: 'button-link' }, 'Send a test push')));
}
