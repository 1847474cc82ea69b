import type { CreatedApiKey, OperatorStatus, Tenant } from '../api-types.ts';
import { expiryBadge, stateBadge } from '../badges.ts';
import { copyButton } from '../clipboard.ts';
import { timeElement } from '../dates.ts';
import { field, h } from '../dom.ts';
import { byUrgency, urgencyOf } from '../expiry.ts';
import { problemView } from '../problem-view.ts';
import { href } from '../router.ts';
import { pageHeading, runAction, statusLine, type ViewContext } from '../view.ts';
import { tenantPath } from '../api.ts';

/**
 * The operator's start page: every tenant with its credentials' state and days to expiry,
 * most urgent first (an expiring push certificate is how MDM fleets are lost), the vendor
 * signing certificate, and tenant creation with API keys.
 */
export async function renderOperatorHome(root: HTMLElement, ctx: ViewContext): Promise<void> {
  const [status, { items }] = await Promise.all([
    ctx.api.get<OperatorStatus>('/v1/operator/status', { signal: ctx.signal }),
    ctx.api.get<{ items: Tenant[] }>('/v1/tenants', { signal: ctx.signal }),
  ]);
  const keyPanel = h('section', { class: 'card key-panel', 'aria-labelledby': 'key-panel-heading', hidden: true });
  const tenants = byUrgency(items);
  root.replaceChildren(
    pageHeading('Tenants'),
    vendorPanel(status),
    tenants.length === 0
      ? h('p', { class: 'empty' }, 'No tenants yet. Create the first one below, then give it an API key.')
      : tenantTable(tenants, (tenant, button) => openKeyPanel(ctx, keyPanel, tenant, button)),
    keyPanel,
    createTenantForm(ctx),
  );
}

function vendorPanel(status: OperatorStatus): HTMLElement {
  const vendor = status.vendorCertificate;
  let body: HTMLElement[];
  if (vendor === null) {
    body = [h('p', {}, 'No vendor signer is configured (--signer-url), so requests are signed offline: tenants upload requests signed with ', h('code', {}, 'certpush mdm vendor-sign'), '.')];
  } else if (vendor.error !== undefined || vendor.daysLeft === undefined) {
    body = [h('div', { class: 'alert alert-error', role: 'alert' }, h('p', {}, `The signer did not answer: ${vendor.error ?? 'no expiry reported'}. Check that the signer runs and that --signer-url and the signer token are right.`))];
  } else {
    body = [h('dl', { class: 'facts' },
      h('dt', {}, 'Subject'), h('dd', {}, vendor.subject ?? '—'),
      h('dt', {}, 'Expires'), h('dd', {}, timeElement(vendor.notAfter), ' ', expiryBadge(vendor.daysLeft)))];
    if (vendor.daysLeft < 30) body.push(h('p', { class: 'hint' }, 'Renew the MDM vendor certificate in the Apple Developer portal before it expires: without it, no tenant can get a request signed.'));
  }
  return h('section', { class: 'card vendor', 'aria-labelledby': 'vendor-heading' },
    h('h2', { id: 'vendor-heading' }, 'Vendor signing certificate'), ...body,
    h('p', { class: 'meta' }, `Queue: ${status.queueDepth} deliveries waiting · database: ${status.database}`));
}

function tenantTable(tenants: Tenant[], onCreateKey: (tenant: Tenant, button: HTMLButtonElement) => void): HTMLElement {
  return h('section', { 'aria-labelledby': 'tenants-heading' },
    h('h2', { id: 'tenants-heading' }, 'Most urgent first'),
    h('table', { class: 'responsive tenants' },
      h('caption', { class: 'visually-hidden' }, 'Tenants, most urgent first: expired, then under 7 days, under 30 days, not set up, fine'),
      h('thead', {}, h('tr', {}, ['Tenant', 'MDM push certificate', 'MPNS credential', 'Devices', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, tenants.map((tenant) => {
        const button = h('button', { type: 'button', class: 'button-secondary' }, 'Create API key');
        // The accessible name starts with the visible text, so speech users can say what they see.
        button.setAttribute('aria-label', `Create API key for ${tenant.name}`);
        button.addEventListener('click', () => onCreateKey(tenant, button));
        return h('tr', { 'data-tenant-id': tenant.id, 'data-urgency': String(urgencyOf(tenant).rank) },
          h('td', { 'data-label': 'Tenant' }, h('a', { href: href.tenant(tenant.id) }, tenant.name)),
          h('td', { 'data-label': 'MDM push certificate' }, stateBadge(tenant.mdm.state), ' ',
            tenant.mdm.daysLeft !== null ? expiryBadge(tenant.mdm.daysLeft, tenant.mdm.state === 'expired') : null,
            tenant.mdm.notAfter ? h('span', { class: 'meta' }, ' until ', timeElement(tenant.mdm.notAfter)) : null),
          h('td', { 'data-label': 'MPNS credential' }, tenant.mpns
            ? [expiryBadge(tenant.mpns.daysLeft), h('span', { class: 'meta' }, ` ${tenant.mpns.serviceName}`)]
            : h('span', { class: 'meta' }, 'none')),
          h('td', { 'data-label': 'Devices' }, String(tenant.devices.total), tenant.devices.invalid > 0 ? h('span', { class: 'meta' }, ` (${tenant.devices.invalid} invalid)`) : null),
          h('td', { 'data-label': 'Actions' }, button));
      }))));
}

/** The key is shown once: certpush keeps only its hash. */
function openKeyPanel(ctx: ViewContext, panel: HTMLElement, tenant: Tenant, opener: HTMLButtonElement): void {
  const label = h('input', { type: 'text', name: 'label', maxlength: '100', autocomplete: 'off' });
  const create = h('button', { type: 'submit' }, 'Create the key');
  const status = statusLine();
  const errors = h('div');
  const result = h('div');
  const form = h('form', {}, field('Label (optional)', label, 'Where the key will be used, e.g. "MDM server". It appears in the audit log.'), h('div', { class: 'actions' }, create), status, errors);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction({
      button: create, status, errorSlot: errors, busy: 'Creating the key…', errorView: (e) => problemView(e, 'The key was not created'),
      action: async () => {
        const created = await ctx.api.post<CreatedApiKey>(tenantPath(tenant.id, '/api-keys'), { label: label.value.trim() || 'console' });
        const value = h('input', { type: 'text', readonly: true, value: created.key, class: 'secret', spellcheck: 'false', autocomplete: 'off' });
        form.remove();
        result.replaceChildren(
          h('div', { class: 'alert alert-warning' }, h('p', {}, 'Copy this key now: it is shown only once. certpush keeps only a hash and cannot show it again.')),
          field(`API key for ${tenant.name}`, value),
          h('div', { class: 'actions' }, copyButton(value, 'Copy the key', (message) => { status.textContent = message; ctx.announce(message); }),
            h('button', { type: 'button', class: 'button-secondary', onclick: () => { panel.hidden = true; panel.replaceChildren(); opener.focus(); } }, 'Done')),
          status,
          h('p', { class: 'hint' }, 'Give it to the tenant: they sign in to this console with it, or use it as "Authorization: Bearer <key>" with the API.'));
        status.textContent = '';
        ctx.announce(`API key created for ${tenant.name}. Copy it now; it is shown only once.`);
        value.focus();
        value.select();
      },
    });
  });
  panel.replaceChildren(h('h2', { id: 'key-panel-heading' }, `New API key for ${tenant.name}`), form, result);
  panel.hidden = false;
  label.focus();
}

function createTenantForm(ctx: ViewContext): HTMLElement {
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: '100', autocomplete: 'organization' });
  const submit = h('button', { type: 'submit' }, 'Create tenant');
  const status = statusLine();
  const errors = h('div');
  const form = h('form', { class: 'card', 'aria-labelledby': 'create-tenant-heading' },
    h('h2', { id: 'create-tenant-heading' }, 'Create a tenant'),
    field('Tenant name', name, 'A customer of yours: letters, digits, spaces and . _ \' & ( ) -'),
    h('div', { class: 'actions' }, submit), status, errors);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction({
      button: submit, status, errorSlot: errors, busy: 'Creating the tenant…', errorView: (e) => problemView(e, 'The tenant was not created'),
      action: async () => {
        const tenant = await ctx.api.post<Tenant>('/v1/tenants', { name: name.value.trim() });
        const root = form.parentElement!;
        await renderOperatorHome(root, ctx);
        const row = root.querySelector<HTMLElement>(`tr[data-tenant-id="${CSS.escape(tenant.id)}"]`);
        const message = `Tenant ${tenant.name} created. Next: create an API key for it.`;
        ctx.announce(message);
        const rowButton = row?.querySelector<HTMLButtonElement>('button');
        rowButton?.focus();
        const newStatus = root.querySelector('#create-tenant-heading')?.closest('form')?.querySelector('.status-line');
        if (newStatus) newStatus.textContent = message;
      },
    });
  });
  return form;
}
