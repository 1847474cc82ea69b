import { tenantPath } from '../api.ts';
import type { Device, DevicePage, ImportResult, Tenant } from '../api-types.ts';
import { timeElement } from '../dates.ts';
import { field, h } from '../dom.ts';
import { readFileText } from '../file-read.ts';
import { longValue, shortForm } from '../long-value.ts';
import { problemView } from '../problem-view.ts';
import { href } from '../router.ts';
import { runAction, statusLine, type ViewContext } from '../view.ts';
import { tenantFrame } from './tenant-frame.ts';

/** Rows per page: enough to scan, small enough for a phone. */
export const PAGE_SIZE = 25;

interface Filter {
  search: string;
  status: '' | 'active' | 'invalid';
  platform: '' | 'mdm' | 'apns' | 'mpns';
}

/** The tenant's devices: search by token or channel URI, filter, page through; register or import more. */
export async function renderDevices(root: HTMLElement, ctx: ViewContext, route: { tenantId: string }): Promise<void> {
  const tenant = await ctx.api.get<Tenant>(tenantPath(route.tenantId), { signal: ctx.signal });
  const filter: Filter = { search: '', status: '', platform: '' };
  // Cursors of the pages before the current one, for "Previous page".
  const previous: Array<string | null> = [];
  let cursor: string | null = null;
  const tableSlot = h('div', { class: 'table-slot' });
  const status = statusLine();

  async function load(focusTable = false): Promise<void> {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filter.search) query.set('search', filter.search);
    if (filter.status) query.set('status', filter.status);
    if (filter.platform) query.set('platform', filter.platform);
    if (cursor) query.set('cursor', cursor);
    status.textContent = 'Loading devices…';
    try {
      const page = await ctx.api.get<DevicePage>(tenantPath(tenant.id, `/devices?${query}`), { signal: ctx.signal });
      tableSlot.replaceChildren(deviceTable(tenant, page, previous.length, {
        next: page.nextCursor ? () => { previous.push(cursor); cursor = page.nextCursor; void load(true); } : null,
        previous: previous.length > 0 ? () => { cursor = previous.pop() ?? null; void load(true); } : null,
      }));
      const first = previous.length * PAGE_SIZE + 1;
      status.textContent = page.items.length === 0
        ? (filter.search || filter.status || filter.platform ? 'No device matches. Change the search or the filters.' : 'No devices yet. Register one or import a file below.')
        : `Showing ${first}–${first + page.items.length - 1}${page.nextCursor ? '' : ` (last page)`} · ${page.total.total} registered, ${page.total.invalid} invalid.`;
      if (focusTable) tableSlot.querySelector<HTMLElement>('table')?.focus();
    } catch (error) {
      if (ctx.signal.aborted) return;
      status.textContent = '';
      tableSlot.replaceChildren(problemView(error, 'The devices could not be loaded'));
    }
  }

  root.replaceChildren(...tenantFrame(ctx, tenant, 'devices', 'Devices',
    searchForm(filter, () => { previous.length = 0; cursor = null; void load(); }),
    status,
    tableSlot,
    registerForm(ctx, tenant, () => { previous.length = 0; cursor = null; void load(); }),
    importForm(ctx, tenant, () => { previous.length = 0; cursor = null; void load(); })));
  await load();
}

function searchForm(filter: Filter, apply: () => void): HTMLElement {
  const search = h('input', { type: 'search', name: 'search', maxlength: '200', autocomplete: 'off', spellcheck: 'false' });
  const statusSelect = h('select', { name: 'status' },
    h('option', { value: '' }, 'Any status'), h('option', { value: 'active' }, 'Active'), h('option', { value: 'invalid' }, 'Invalid'));
  const platform = h('select', { name: 'platform' },
    h('option', { value: '' }, 'Any platform'), h('option', { value: 'mdm' }, 'MDM'), h('option', { value: 'apns' }, 'APNs'), h('option', { value: 'mpns' }, 'MPNS'));
  const form = h('form', { role: 'search', class: 'search-form', 'aria-label': 'Devices' },
    field('Search', search, 'Part of a device token or channel URI.'),
    field('Status', statusSelect),
    field('Platform', platform),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    filter.search = search.value.trim();
    filter.status = statusSelect.value as Filter['status'];
    filter.platform = platform.value as Filter['platform'];
    apply();
  });
  return form;
}

function deviceTable(tenant: Tenant, page: DevicePage, pageIndex: number, move: { next: (() => void) | null; previous: (() => void) | null }): HTMLElement {
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of devices' },
    h('button', { type: 'button', class: 'button-secondary', disabled: !move.previous, onclick: () => move.previous?.() }, 'Previous page'),
    h('span', {}, `Page ${pageIndex + 1}`),
    h('button', { type: 'button', class: 'button-secondary', disabled: !move.next, onclick: () => move.next?.() }, 'Next page'));
  pager.hidden = !move.next && !move.previous;
  if (page.items.length === 0) return h('div', {}, pager);
  return h('div', {},
    h('table', { class: 'responsive devices', tabindex: '-1' },
      h('caption', { class: 'visually-hidden' }, `Devices, page ${pageIndex + 1}`),
      h('thead', {}, h('tr', {}, ['Platform', 'Token or channel URI', 'Status', 'Registered', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, page.items.map((device) => deviceRow(tenant, device)))),
    pager);
}

const PLATFORM_NAMES: Record<Device['platform'], string> = { mdm: 'MDM', apns: 'APNs', mpns: 'MPNS' };

function deviceRow(tenant: Tenant, device: Device): HTMLElement {
  const address = device.channelUri ?? device.token ?? '';
  return h('tr', { 'data-device-id': device.id },
    h('td', { 'data-label': 'Platform' }, PLATFORM_NAMES[device.platform]),
    h('td', { 'data-label': device.channelUri ? 'Channel URI' : 'Token' }, longValue(address)),
    h('td', { 'data-label': 'Status' }, device.status === 'active'
      ? h('span', { class: 'badge badge-ok' }, 'active')
      : [h('span', { class: 'badge badge-expired' }, 'invalid'), ' since ', timeElement(device.invalidAt, 'datetime'), device.invalidReason ? h('span', { class: 'meta' }, ` (${device.invalidReason})`) : null]),
    h('td', { 'data-label': 'Registered' }, timeElement(device.createdAt)),
    h('td', { 'data-label': 'Actions' }, device.status === 'active'
      ? h('a', { href: href.send(tenant.id, device.id), 'aria-label': `Send test push to ${PLATFORM_NAMES[device.platform]} device ${shortForm(address)}` }, 'Send test push')
      : h('span', { class: 'meta' }, '—')));
}

function registerForm(ctx: ViewContext, tenant: Tenant, done: () => void): HTMLElement {
  const platform = h('select', { name: 'platform' }, h('option', { value: 'mdm' }, 'MDM (enrolled device)'), h('option', { value: 'apns' }, 'APNs (app)'), h('option', { value: 'mpns' }, 'MPNS (Windows Phone)'));
  const token = h('input', { type: 'text', name: 'token', maxlength: '200', spellcheck: 'false', autocomplete: 'off', class: 'mono' });
  const pushMagic = h('input', { type: 'text', name: 'pushMagic', maxlength: '256', spellcheck: 'false', autocomplete: 'off' });
  const topic = h('input', { type: 'text', name: 'topic', maxlength: '255', spellcheck: 'false', autocomplete: 'off' });
  const channelUri = h('input', { type: 'url', name: 'channelUri', maxlength: '2048', spellcheck: 'false', autocomplete: 'off' });
  const tokenField = field('Device token (hex)', token);
  const magicField = field('PushMagic', pushMagic, 'From the device\'s TokenUpdate check-in.');
  const topicField = field('App topic (bundle id)', topic);
  const uriField = field('Channel URI', channelUri);
  const sync = () => {
    const p = platform.value;
    tokenField.hidden = p === 'mpns';
    magicField.hidden = p !== 'mdm';
    topicField.hidden = p !== 'apns';
    uriField.hidden = p !== 'mpns';
  };
  platform.addEventListener('change', sync);
  sync();
  const submit = h('button', { type: 'submit' }, 'Register the device');
  const status = statusLine();
  const errors = h('div');
  const form = h('form', {}, field('Platform', platform), tokenField, magicField, topicField, uriField, h('div', { class: 'actions' }, submit), status, errors);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction({
      button: submit, status, errorSlot: errors, busy: 'Registering…', errorView: (e) => problemView(e, 'The device was not registered'),
      action: async () => {
        const p = platform.value;
        const body = p === 'mpns' ? { platform: p, channelUri: channelUri.value.trim() }
          : p === 'apns' ? { platform: p, token: token.value.trim(), topic: topic.value.trim() }
          : { platform: p, token: token.value.trim(), pushMagic: pushMagic.value.trim() };
        await ctx.api.post<Device>(tenantPath(tenant.id, '/devices'), body);
        status.textContent = 'Device registered.';
        form.reset();
        sync();
        done();
      },
    });
  });
  return h('details', { class: 'card' }, h('summary', {}, 'Register a device'), form);
}

function importForm(ctx: ViewContext, tenant: Tenant, done: () => void): HTMLElement {
  const file = h('input', { type: 'file', name: 'devices-file', accept: '.csv,.jsonl,.ndjson,text/csv,application/x-ndjson' });
  const submit = h('button', { type: 'submit' }, 'Import');
  const status = statusLine();
  const errors = h('div');
  const form = h('form', {},
    field('Devices file (CSV or JSON lines)', file, 'CSV with the header platform,token,pushMagic,topic,channelUri, or one JSON object per line. Up to 100,000 devices; all or nothing.'),
    h('div', { class: 'actions' }, submit), status, errors);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction({
      button: submit, status, errorSlot: errors, busy: 'Importing…', errorView: (e) => problemView(e, 'Nothing was imported'),
      action: async () => {
        const chosen = file.files?.[0];
        if (!chosen) throw new Error('Choose a CSV or JSON lines file first.');
        const type = /\.csv$/i.test(chosen.name) || chosen.type === 'text/csv' ? 'text/csv' : 'application/x-ndjson';
        const result = await ctx.api.post<ImportResult>(tenantPath(tenant.id, '/devices:import'), await readFileText(chosen), { contentType: type });
        status.textContent = `${result.imported} devices imported.`;
        form.reset();
        done();
      },
    });
  });
  return h('details', { class: 'card' }, h('summary', {}, 'Import devices from a file'), form);
}
