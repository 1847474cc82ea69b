import { tenantPath } from '../api.ts';
import type { MpnsCredential, Tenant } from '../api-types.ts';
import { expiryBadge } from '../badges.ts';
import { copyButton } from '../clipboard.ts';
import { timeElement } from '../dates.ts';
import { field, h } from '../dom.ts';
import { readFileBase64, readFileText } from '../file-read.ts';
import { findingsList, problemView } from '../problem-view.ts';
import { runAction, statusLine, type ViewContext } from '../view.ts';
import { tenantFrame } from './tenant-frame.ts';

/**
 * The tenant's MPNS authenticated web service certificate: upload it, see the Service Name
 * the app must pass to HttpNotificationChannel, and what the checks found.
 */
export async function renderMpnsCredential(root: HTMLElement, ctx: ViewContext, route: { tenantId: string }): Promise<void> {
  const tenant = await ctx.api.get<Tenant>(tenantPath(route.tenantId), { signal: ctx.signal });
  // The summary says whether there is one, so the console never asks for a credential that would 404.
  const current = tenant.mpns ? await ctx.api.get<MpnsCredential>(tenantPath(route.tenantId, '/mpns/credential'), { signal: ctx.signal }) : null;
  const resultSlot = h('div', { id: 'mpns-result' });
  if (current) resultSlot.replaceChildren(credentialCard(ctx, current, 'Current credential'));
  root.replaceChildren(...tenantFrame(ctx, tenant, 'mpns', 'MPNS credential',
    h('p', {}, 'With a web service certificate, certpush sends to Windows Phone devices as an authenticated service: over HTTPS, with no daily limit. Without one, each device gets at most 500 notifications a day.'),
    resultSlot,
    uploadForm(ctx, tenant, resultSlot)));
}

function credentialCard(ctx: ViewContext, view: MpnsCredential, title: string): HTMLElement {
  const usage = h('input', { type: 'text', readonly: true, value: view.appUsage, class: 'mono', spellcheck: 'false' });
  const status = statusLine();
  return h('section', { class: 'card', 'aria-labelledby': 'mpns-card-title', tabindex: '-1', 'data-focus-target': '' },
    h('h2', { id: 'mpns-card-title' }, title),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Service Name'), h('dd', {}, h('strong', { id: 'service-name' }, view.serviceName)),
      h('dt', {}, 'Subject'), h('dd', {}, h('code', { class: 'wrap' }, view.subject)),
      h('dt', {}, 'Expires'), h('dd', {}, timeElement(view.notAfter), ' ', expiryBadge(view.daysLeft)),
      view.report?.root ? [h('dt', {}, 'Chains to'), h('dd', {}, view.report.root)] : null),
    field('How the app opens its channel', usage, 'The Service Name must match exactly, or MPNS treats the app as unauthenticated.'),
    h('div', { class: 'actions' }, copyButton(usage, 'Copy the code', (message) => { status.textContent = message; ctx.announce(message); })),
    status,
    view.report
      ? h('section', { 'aria-labelledby': 'mpns-checks-heading' }, h('h3', { id: 'mpns-checks-heading' }, 'Checks'),
        view.report.findings.length === 0 ? h('p', { class: 'success' }, 'All checks passed: client authentication, chain, validity and Service Name.') : findingsList(view.report.findings))
      : null);
}

function uploadForm(ctx: ViewContext, tenant: Tenant, resultSlot: HTMLElement): HTMLElement {
  const p12Choice = h('input', { type: 'radio', name: 'format', value: 'pkcs12', id: 'format-pkcs12', checked: true });
  const pemChoice = h('input', { type: 'radio', name: 'format', value: 'pem', id: 'format-pem' });
  const p12File = h('input', { type: 'file', name: 'pkcs12', accept: '.pfx,.p12' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'off' });
  const certFile = h('input', { type: 'file', name: 'certificate', accept: '.pem,.crt,.cer' });
  const keyFile = h('input', { type: 'file', name: 'key', accept: '.pem,.key' });
  const p12Fields = h('div', {}, field('PKCS#12 file (.pfx or .p12)', p12File), field('Password', password));
  const pemFields = h('div', { hidden: true }, field('Certificate (PEM, with any intermediates)', certFile), field('Private key (PEM)', keyFile));
  const syncFormat = () => {
    p12Fields.hidden = !p12Choice.checked;
    pemFields.hidden = p12Choice.checked;
  };
  p12Choice.addEventListener('change', syncFormat);
  pemChoice.addEventListener('change', syncFormat);
  const submit = h('button', { type: 'submit' }, 'Upload and check');
  const status = statusLine();
  const errors = h('div');
  const form = h('form', { class: 'card', 'aria-labelledby': 'mpns-upload-heading' },
    h('h2', { id: 'mpns-upload-heading' }, tenant.mpns ? 'Replace the credential' : 'Upload the credential'),
    h('fieldset', {}, h('legend', {}, 'Format'),
      h('div', { class: 'checkbox' }, p12Choice, h('label', { for: 'format-pkcs12' }, 'PKCS#12 file with its password')),
      h('div', { class: 'checkbox' }, pemChoice, h('label', { for: 'format-pem' }, 'PEM certificate and private key'))),
    p12Fields, pemFields,
    h('div', { class: 'actions' }, submit), status, errors);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction({
      button: submit, status, errorSlot: errors, busy: 'Checking the certificate…',
      errorView: (e) => problemView(e, 'The credential was not installed'),
      action: async () => {
        let body: Record<string, string>;
        if (p12Choice.checked) {
          const file = p12File.files?.[0];
          if (!file) throw new Error('Choose the .pfx or .p12 file first.');
          body = { pkcs12: await readFileBase64(file), password: password.value };
        } else {
          const cert = certFile.files?.[0];
          const key = keyFile.files?.[0];
          if (!cert || !key) throw new Error('Choose both the certificate and the private key files first.');
          body = { certificate: await readFileText(cert), key: await readFileText(key) };
        }
        const view = await ctx.api.put<MpnsCredential>(tenantPath(tenant.id, '/mpns/credential'), body);
        status.textContent = '';
        resultSlot.replaceChildren(credentialCard(ctx, view, 'Installed'));
        ctx.announce(`Credential installed. Service Name ${view.serviceName}.`);
        resultSlot.querySelector<HTMLElement>('[data-focus-target]')?.focus();
        form.reset();
        syncFormat();
      },
    });
  });
  return form;
}
