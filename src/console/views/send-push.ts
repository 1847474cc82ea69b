import { tenantPath } from '../api.ts';
import type { Device, NotificationSummary, SentNotification, Tenant } from '../api-types.ts';
import { timeElement } from '../dates.ts';
import { field, h } from '../dom.ts';
import { problemView } from '../problem-view.ts';
import { href } from '../router.ts';
import { runAction, statusLine, type ViewContext } from '../view.ts';
import { tenantFrame } from './tenant-frame.ts';

/**
 * Send a test push to one device or to all, then follow it on its delivery report. MDM pushes
 * carry nothing but the wake-up; MPNS gets a toast. (App pushes over APNs need an APNs app
 * credential, which certpush does not manage yet.)
 */
export async function renderSendPush(root: HTMLElement, ctx: ViewContext, route: { tenantId: string; deviceId: string | null }): Promise<void> {
  const [tenant, recent, device] = await Promise.all([
    ctx.api.get<Tenant>(tenantPath(route.tenantId), { signal: ctx.signal }),
    ctx.api.get<{ items: NotificationSummary[] }>(tenantPath(route.tenantId, '/notifications'), { signal: ctx.signal }),
    route.deviceId ? ctx.api.get<Device>(tenantPath(route.tenantId, `/devices/${encodeURIComponent(route.deviceId)}`), { signal: ctx.signal }) : Promise.resolve(null),
  ]);
  root.replaceChildren(...tenantFrame(ctx, tenant, 'send', 'Send a test push',
    sendForm(ctx, tenant, device),
    recentList(tenant, recent.items)));
}

function sendForm(ctx: ViewContext, tenant: Tenant, device: Device | null): HTMLElement {
  const toAll = h('input', { type: 'radio', name: 'target', value: 'all', id: 'target-all', checked: !device });
  const toOne = h('input', { type: 'radio', name: 'target', value: 'one', id: 'target-one', checked: !!device });
  const deviceId = h('input', { type: 'text', name: 'device', value: device?.id ?? '', spellcheck: 'false', autocomplete: 'off' });
  const deviceField = field('Device id', deviceId, 'Pick a device on the Devices page (Send test push), or paste its id.');
  const mdmReady = tenant.mdm.state === 'active' || tenant.mdm.state === 'renewing';
  const mdm = h('input', { type: 'checkbox', name: 'mdm', id: 'payload-mdm', checked: device ? device.platform === 'mdm' : mdmReady });
  const mpns = h('input', { type: 'checkbox', name: 'mpns', id: 'payload-mpns', checked: device?.platform === 'mpns' });
  const text1 = h('input', { type: 'text', name: 'text1', value: 'certpush test', maxlength: '100' });
  const text2 = h('input', { type: 'text', name: 'text2', value: 'If you can read this, push works.', maxlength: '200' });
  const toastFields = h('div', { class: 'nested' }, field('Toast title', text1), field('Toast text', text2));
  const sync = () => {
    deviceField.hidden = !toOne.checked;
    toastFields.hidden = !mpns.checked;
  };
  for (const input of [toAll, toOne, mpns]) input.addEventListener('change', sync);
  sync();

  const submit = h('button', { type: 'submit' }, 'Send');
  const status = statusLine();
  const errors = h('div');
  const form = h('form', { class: 'card' },
    h('fieldset', {}, h('legend', {}, 'Send to'),
      h('div', { class: 'checkbox' }, toAll, h('label', { for: 'target-all' }, `All devices (${tenant.devices.total - tenant.devices.invalid} active)`)),
      h('div', { class: 'checkbox' }, toOne, h('label', { for: 'target-one' }, 'One device')),
      deviceField),
    h('fieldset', {}, h('legend', {}, 'What to send'),
      h('div', { class: 'checkbox' }, mdm, h('label', { for: 'payload-mdm' }, 'MDM wake-up: enrolled devices check in with the MDM server')),
      mdmReady ? null : h('p', { class: 'hint' }, 'MDM needs an active push certificate: set it up on the MDM push certificate page first.'),
      h('div', { class: 'checkbox' }, mpns, h('label', { for: 'payload-mpns' }, 'MPNS toast (Windows Phone)')),
      toastFields),
    h('div', { class: 'actions' }, submit), status, errors);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction({
      button: submit, status, errorSlot: errors, busy: 'Queueing the notification…', errorView: (e) => problemView(e, 'Nothing was sent'),
      action: async () => {
        const body: Record<string, unknown> = toOne.checked ? { devices: [deviceId.value.trim()] } : { all: true };
        if (mdm.checked) body.mdm = true;
        if (mpns.checked) body.mpns = { type: 'toast', text1: text1.value, text2: text2.value };
        if (toOne.checked && !deviceId.value.trim()) throw new Error('Give the device id, or choose All devices.');
        if (!mdm.checked && !mpns.checked) throw new Error('Choose what to send: an MDM wake-up or an MPNS toast.');
        const sent = await ctx.api.post<SentNotification>(tenantPath(tenant.id, '/notifications'), body);
        ctx.announce(`Sent to ${sent.total} device${sent.total === 1 ? '' : 's'}. Opening the delivery report.`);
        ctx.navigate(href.report(tenant.id, sent.id));
      },
    });
  });
  return form;
}

function recentList(tenant: Tenant, items: NotificationSummary[]): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': 'recent-heading' },
    h('h2', { id: 'recent-heading' }, 'Recent notifications'),
    items.length === 0 ? h('p', {}, 'None sent yet.') : h('ul', { class: 'plain-list' }, items.slice(0, 10).map((n) => h('li', {},
      h('a', { href: href.report(tenant.id, n.id) }, `Report: ${n.total} device${n.total === 1 ? '' : 's'}`), ' · sent ', timeElement(n.createdAt, 'datetime'),
      n.completedAt ? ' · complete' : ' · sending'))));
}
