import type { Tenant } from '../api-types.ts';
import { type Child, h } from '../dom.ts';
import { href } from '../router.ts';
import type { ViewContext } from '../view.ts';
import { pageHeading } from '../view.ts';

export type TenantSection = 'tenant' | 'mdm' | 'mpns' | 'devices' | 'send';

const SECTIONS: Array<{ section: TenantSection; label: string; link: (tenantId: string) => string }> = [
  { section: 'tenant', label: 'Overview', link: href.tenant },
  { section: 'mdm', label: 'MDM push certificate', link: href.mdm },
  { section: 'mpns', label: 'MPNS credential', link: href.mpns },
  { section: 'devices', label: 'Devices', link: href.devices },
  { section: 'send', label: 'Send a test push', link: href.send },
];

/** A tenant's pages share a heading and a section menu; operators also get a way back to all tenants. */
export function tenantFrame(ctx: ViewContext, tenant: Tenant, current: TenantSection | null, title: string, ...content: Child[]): HTMLElement[] {
  const tabs = h('ul', {}, SECTIONS.map((s) => h('li', {},
    h('a', { href: s.link(tenant.id), 'aria-current': s.section === current ? 'page' : null }, s.label))));
  // At phone width the tabs scroll sideways (styles.css): bring the current one into view.
  requestAnimationFrame(() => {
    const here = tabs.querySelector('[aria-current="page"]');
    const past = here ? here.getBoundingClientRect().right - tabs.getBoundingClientRect().right : 0;
    if (past > 0) tabs.scrollLeft += past + 8;
  });
  return [
    ctx.session.kind === 'operator'
      ? h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('a', { href: href.home() }, 'All tenants'), ' / ', h('span', {}, tenant.name))
      : null,
    pageHeading(title === tenant.name ? title : `${title} · ${tenant.name}`),
    h('nav', { class: 'section-nav', 'aria-label': 'Tenant' }, tabs),
    tenant.paused
      ? h('div', { class: 'alert alert-error', role: 'alert' }, h('p', { class: 'alert-title' }, 'Sending is paused'), h('p', {}, `${tenant.paused.reason} Upload a working credential to resume.`))
      : null,
    ...content,
  ].filter((node): node is HTMLElement => node !== null);
}
