import { tenantPath } from '../api.ts';
import type { MdmCert } from '../api-types.ts';
import { field, h } from '../dom.ts';
import { saveText } from '../download.ts';
import { looksLikePkcs12, readFileBase64, readFileText } from '../file-read.ts';
import { findingsList, problemOf, problemView } from '../problem-view.ts';
import { expiryBadge } from '../badges.ts';
import { timeElement } from '../dates.ts';
import { runAction, statusLine } from '../view.ts';
import type { Wizard } from './mdm-wizard.ts';
import { isTopicChange, topicChangeDanger } from './topic-change-danger.ts';

/** Apple's Push Certificates Portal, where the signed request is exchanged for the certificate. */
export const APPLE_PUSH_PORTAL = 'https://identity.apple.com/pushcert';
/** The name the API's download carries (Content-Disposition); the instructions refer to it. */
export const REQUEST_FILENAME = 'push-cert-request.b64';

function stepHeading(text: string): HTMLHeadingElement {
  return h('h2', { id: 'step-heading', tabindex: '-1', 'data-focus-target': '' }, text);
}

function startOverButton(wizard: Wizard): HTMLButtonElement {
  return h('button', { type: 'button', class: 'button-secondary', onclick: () => wizard.show('csr') }, 'Start over with a new CSR');
}

/** Step 1: certpush makes the tenant's key and CSR; the key never leaves it. */
export function csrStep(wizard: Wizard): HTMLElement {
  const email = h('input', { type: 'email', name: 'email', maxlength: '128', autocomplete: 'email' });
  const org = h('input', { type: 'text', name: 'org', maxlength: '64', autocomplete: 'organization', value: wizard.tenant.name });
  const country = h('input', { type: 'text', name: 'country', maxlength: '2', pattern: '[A-Za-z]{2}', autocomplete: 'country', class: 'short' });
  const submit = h('button', { type: 'submit' }, wizard.renewal ? 'Generate a new CSR for the renewal' : 'Generate the CSR');
  const status = statusLine();
  const errors = h('div');
  const form = h('form', {},
    field('Contact email (optional)', email, 'Goes into the CSR\'s subject; Apple does not require it.'),
    field('Organization (optional)', org),
    field('Country code (optional)', country, 'Two letters, e.g. US or DE.'),
    h('div', { class: 'actions' }, submit), status, errors);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction({
      button: submit, status, errorSlot: errors, busy: 'Generating a 2048-bit key and the CSR inside certpush…',
      errorView: (e) => problemView(e, 'The CSR was not created'),
      action: async () => {
        const body: Record<string, string> = {};
        if (email.value.trim()) body.email = email.value.trim();
        if (org.value.trim()) body.org = org.value.trim();
        if (country.value.trim()) body.country = country.value.trim();
        const cert = await wizard.ctx.api.post<MdmCert>(tenantPath(wizard.tenant.id, '/mdm/csr'), body);
        wizard.ctx.announce('CSR created. Next: get it signed by the vendor.');
        wizard.show('sign', cert);
      },
    });
  });
  return h('div', {},
    stepHeading(wizard.renewal ? 'Step 1: generate a new CSR for the renewal' : 'Step 1: generate the CSR'),
    h('p', {}, 'certpush makes a private key and a certificate signing request (CSR) for this tenant. The key never leaves certpush; only the CSR goes to the vendor and to Apple.'),
    wizard.renewal ? h('p', {}, 'The current certificate keeps working while you renew.') : null,
    form);
}

/** Step 2: the vendor signs the CSR, through the signer or offline. */
export function signStep(wizard: Wizard): HTMLElement {
  const ask = h('button', { type: 'button' }, 'Ask the vendor signer');
  const status = statusLine();
  const errors = h('div');
  ask.addEventListener('click', () => void runAction({
    button: ask, status, errorSlot: errors, busy: 'Asking the vendor signer…',
    errorView: (e) => problemView(e, 'The signer did not sign the request'),
    action: async () => {
      const cert = await wizard.ctx.api.post<MdmCert>(tenantPath(wizard.tenant.id, '/mdm/push-cert-request'));
      wizard.ctx.announce('The request is signed. Next: take it to Apple\'s portal.');
      wizard.show('download', cert);
    },
  }));

  const file = h('input', { type: 'file', name: 'signed-request-file', accept: '.b64,.txt,.plist,text/plain' });
  const text = h('textarea', { name: 'signed-request', rows: '4', spellcheck: 'false', class: 'mono' });
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (chosen) text.value = (await readFileText(chosen)).trim();
  });
  const upload = h('button', { type: 'submit', class: 'button-secondary' }, 'Upload the signed request');
  const offlineStatus = statusLine();
  const offlineErrors = h('div');
  const offline = h('form', {},
    h('p', {}, 'Download the CSR, have your MDM vendor sign it (', h('code', {}, 'certpush mdm vendor-sign'), '), then upload the signed request here.'),
    h('div', { class: 'actions' }, h('button', {
      type: 'button', class: 'button-secondary',
      onclick: () => {
        saveText('mdm-push.csr', wizard.cert.pendingCsr ?? '', 'application/pkcs10');
        offlineStatus.textContent = 'The CSR was saved as mdm-push.csr.';
      },
    }, 'Download the CSR')),
    field('Signed request file', file),
    field('Or paste the signed request (Base64)', text),
    h('div', { class: 'actions' }, upload), offlineStatus, offlineErrors);
  offline.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction({
      button: upload, status: offlineStatus, errorSlot: offlineErrors, busy: 'Checking and storing the signed request…',
      errorView: (e) => problemView(e, 'The signed request was not accepted'),
      action: async () => {
        if (!text.value.trim()) throw new Error('Choose the signed request file or paste its Base64 text first.');
        const cert = await wizard.ctx.api.put<MdmCert>(tenantPath(wizard.tenant.id, '/mdm/push-cert-request'), { request: text.value.trim() });
        wizard.ctx.announce('The signed request was accepted. Next: take it to Apple\'s portal.');
        wizard.show('download', cert);
      },
    });
  });

  return h('div', {},
    stepHeading('Step 2: get the request signed by the vendor'),
    h('p', {}, 'Apple accepts a CSR only when your MDM vendor has signed it. If this certpush has a vendor signer, one click does it.'),
    h('div', { class: 'actions' }, ask), status, errors,
    h('details', { class: 'offline' }, h('summary', {}, 'Signed offline instead?'), offline),
    h('div', { class: 'actions' }, startOverButton(wizard)));
}

/** Step 3: download the signed request and take it to Apple's portal. */
export function downloadStep(wizard: Wizard): HTMLElement {
  const download = h('button', { type: 'button' }, 'Download the request');
  const status = statusLine();
  const errors = h('div');
  download.addEventListener('click', () => void runAction({
    button: download, status, errorSlot: errors, busy: 'Preparing the download…',
    errorView: (e) => problemView(e, 'The request could not be downloaded'),
    action: async () => {
      const text = await wizard.ctx.api.get<string>(tenantPath(wizard.tenant.id, '/mdm/push-cert-request'), { text: true });
      saveText(REQUEST_FILENAME, text);
      status.textContent = `Saved as ${REQUEST_FILENAME}. Next: upload it at Apple's portal.`;
    },
  }));
  const topic = wizard.cert.requiredTopic ?? wizard.cert.topic;
  const next = h('button', { type: 'button', onclick: () => wizard.show('upload') }, 'I have Apple\'s certificate: continue');
  return h('div', {},
    stepHeading('Step 3: get the certificate from Apple'),
    h('ol', { class: 'instructions' },
      h('li', {}, h('div', { class: 'actions' }, download), status, errors),
      h('li', {}, 'Open Apple\'s Push Certificates Portal: ', h('a', { href: APPLE_PUSH_PORTAL, target: '_blank', rel: 'noopener noreferrer' }, 'identity.apple.com/pushcert'), ' (opens in a new tab).'),
      h('li', {}, 'Sign in with your organization\'s managed or verified Apple ID. Use the same Apple ID every year: only the account that created a certificate can renew it.'),
      wizard.renewal && topic
        ? h('li', {}, 'Find the certificate with the topic ', h('code', { class: 'wrap' }, topic), ' and choose ', h('strong', {}, 'Renew'), '. Do not choose Create: a new certificate gets a new topic, and every enrolled device stops answering.')
        : h('li', {}, 'Choose ', h('strong', {}, 'Create a Certificate'), ' and accept the terms.'),
      h('li', {}, 'Upload ', h('code', {}, REQUEST_FILENAME), ' and confirm.'),
      h('li', {}, 'Download the certificate Apple issues: a file named like ', h('code', {}, 'MDM_<Vendor>_Certificate.pem'), '. Then continue here.')),
    h('div', { class: 'actions' }, next, startOverButton(wizard)));
}

/** Step 4: import Apple's certificate; on renewal, a changed topic is refused unless forced. */
export function uploadStep(wizard: Wizard): HTMLElement {
  const file = h('input', { type: 'file', name: 'certificate', accept: '.pem,.cer,.crt,.p12,.pfx' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'off' });
  const passwordField = field('Password of the .p12 file', password);
  passwordField.hidden = true;
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    passwordField.hidden = !(chosen && (await looksLikePkcs12(chosen)));
  });
  const submit = h('button', { type: 'submit' }, 'Upload the certificate');
  const status = statusLine();
  const errors = h('div');
  const topic = wizard.renewal ? wizard.cert.requiredTopic ?? wizard.cert.topic : null;

  async function send(body: Record<string, unknown>, replacing: boolean): Promise<void> {
    const cert = await wizard.ctx.api.put<MdmCert>(tenantPath(wizard.tenant.id, '/mdm/push-cert'), body);
    wizard.ctx.announce(`The push certificate is active, topic ${cert.topic}.`);
    wizard.show('overview', cert, importedNotice(cert, replacing));
  }

  const form = h('form', {},
    field('Apple\'s certificate file', file, 'The .pem file from Apple\'s portal, or a .p12 exported from Keychain Access.'),
    passwordField,
    h('div', { class: 'actions' }, submit), status, errors);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    let body: Record<string, unknown> = {};
    void runAction({
      button: submit, status, errorSlot: errors, busy: 'Checking and importing the certificate…',
      errorView: (e) => isTopicChange(problemOf(e))
        ? topicChangeDanger(problemOf(e), topic, (button, confirmStatus, confirmErrors) => runAction({
          button, status: confirmStatus, errorSlot: confirmErrors, busy: 'Replacing the certificate…',
          errorView: (again) => problemView(again, 'The certificate was not replaced'),
          action: () => send({ ...body, force: true }, true),
        }))
        : problemView(e, 'The certificate was not imported'),
      action: async () => {
        const chosen = file.files?.[0];
        if (!chosen) throw new Error('Choose the certificate file you downloaded from Apple\'s portal first.');
        body = (await looksLikePkcs12(chosen)) ? { pkcs12: await readFileBase64(chosen), password: password.value } : { certificate: await readFileText(chosen) };
        await send(body, false);
      },
    });
  });
  return h('div', {},
    stepHeading('Step 4: upload Apple\'s certificate'),
    topic
      ? h('div', { class: 'alert alert-info' }, h('p', {}, 'The renewed certificate must have the topic ', h('code', { class: 'wrap' }, topic), '. certpush refuses one with another topic unless you replace it deliberately.'))
      : h('p', {}, 'certpush checks that the certificate belongs to the key it made, that it is an MDM push certificate, and shows its topic and expiry.'),
    form,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button-secondary', onclick: () => wizard.show('download') }, 'Back to Apple\'s portal instructions')));
}

/** After an import: what was installed, and any warnings the checks had. */
function importedNotice(cert: MdmCert, replaced: boolean): HTMLElement {
  return h('div', { class: 'alert alert-success', role: 'status', tabindex: '-1', 'data-focus-target': '' },
    h('p', { class: 'alert-title' }, replaced ? 'The certificate was replaced: enroll your devices again' : 'The push certificate is active'),
    h('p', {}, 'Topic ', h('code', { class: 'wrap', id: 'imported-topic' }, cert.topic ?? '—'), ', expires ', timeElement(cert.notAfter), ' ', cert.daysLeft !== null ? expiryBadge(cert.daysLeft) : null, '.'),
    cert.warnings?.length ? findingsList(cert.warnings) : null,
    h('p', {}, 'Next: register devices and send a test push.'));
}
