import { tenantPath } from '../api.ts';
import type { MdmCert, Tenant } from '../api-types.ts';
import { expiryBadge, stateBadge } from '../badges.ts';
import { timeElement } from '../dates.ts';
import { h } from '../dom.ts';
import type { ViewContext } from '../view.ts';
import { csrStep, downloadStep, signStep, uploadStep } from './mdm-wizard-steps.ts';
import { tenantFrame } from './tenant-frame.ts';

/** Where the user is: the four steps of onboarding (and renewal), or the certificate's summary. */
export type WizardStep = 'overview' | 'csr' | 'sign' | 'download' | 'upload';

/** What the steps share: the API, the certificate as last read, and how to move on. */
export interface Wizard {
  ctx: ViewContext;
  tenant: Tenant;
  cert: MdmCert;
  /** Renewing: the new certificate must keep the current topic. */
  renewal: boolean;
  /** Show `step` (with the certificate as the API last returned it) and move focus to its heading. */
  show(step: WizardStep, cert?: MdmCert, notice?: HTMLElement): void;
}

const STEPS: Array<{ step: WizardStep; label: string }> = [
  { step: 'csr', label: 'Generate the CSR' },
  { step: 'sign', label: 'Get it signed' },
  { step: 'download', label: 'Apple\'s portal' },
  { step: 'upload', label: 'Upload Apple\'s certificate' },
];

/** The step the stored state leads to (the state machine is the server's: none → … → active). */
export function stepForState(cert: MdmCert): WizardStep {
  switch (cert.state) {
    case 'none': return 'csr';
    case 'awaiting-signature': return 'sign';
    case 'awaiting-apple': return 'download';
    case 'renewing': return cert.pendingRequest ? 'download' : 'sign';
    default: return 'overview';
  }
}

/**
 * The MDM push certificate wizard: CSR → vendor signature → Apple's portal → import. Renewal
 * runs the same steps and says, before the upload, which topic the new certificate must have.
 */
export async function renderMdmWizard(root: HTMLElement, ctx: ViewContext, route: { tenantId: string }): Promise<void> {
  const [tenant, cert] = await Promise.all([
    ctx.api.get<Tenant>(tenantPath(route.tenantId), { signal: ctx.signal }),
    ctx.api.get<MdmCert>(tenantPath(route.tenantId, '/mdm/push-cert'), { signal: ctx.signal }),
  ]);
  const wizard: Wizard = {
    ctx, tenant, cert,
    renewal: cert.state === 'renewing',
    show(step, next, notice) {
      if (next) {
        wizard.cert = next;
        wizard.renewal = next.state === 'renewing';
      }
      draw(step, notice ?? null);
      (root.querySelector<HTMLElement>('[data-focus-target]') ?? root.querySelector<HTMLElement>('h1'))?.focus();
    },
  };

  function draw(step: WizardStep, notice: HTMLElement | null): void {
    const content: HTMLElement[] = [];
    if (notice) content.push(notice);
    if (wizard.cert.topic) content.push(currentCertificate(wizard));
    if (step === 'overview') content.push(renewSection(wizard));
    else {
      if (wizard.renewal && wizard.cert.topic) content.push(renewalBanner(wizard.cert));
      content.push(stepper(step), h('section', { class: 'card step', 'aria-labelledby': 'step-heading' }, stepBody(wizard, step)));
    }
    root.replaceChildren(...tenantFrame(ctx, tenant, 'mdm', 'MDM push certificate', ...content));
  }

  draw(stepForState(cert), null);
}

function stepBody(wizard: Wizard, step: WizardStep): HTMLElement {
  switch (step) {
    case 'csr': return csrStep(wizard);
    case 'sign': return signStep(wizard);
    case 'download': return downloadStep(wizard);
    default: return uploadStep(wizard);
  }
}

function stepper(current: WizardStep): HTMLElement {
  const index = STEPS.findIndex((s) => s.step === current);
  return h('ol', { class: 'stepper', 'aria-label': 'Steps' }, STEPS.map((s, i) => h('li', {
    class: i < index ? 'done' : i === index ? 'current' : 'todo',
    'aria-current': i === index ? 'step' : null,
  }, h('span', { class: 'step-number', 'aria-hidden': 'true' }, i < index ? '✓' : String(i + 1)), ' ', h('span', { class: 'visually-hidden' }, `Step ${i + 1}: `), s.label, i < index ? h('span', { class: 'visually-hidden' }, ' (done)') : null)));
}

function currentCertificate(wizard: Wizard): HTMLElement {
  const { cert } = wizard;
  return h('section', { class: 'card', 'aria-labelledby': 'current-cert-heading' },
    h('h2', { id: 'current-cert-heading' }, 'Current certificate'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'State'), h('dd', {}, stateBadge(cert.state)),
      h('dt', {}, 'Topic'), h('dd', {}, h('code', { class: 'wrap', id: 'current-topic' }, cert.topic ?? '—')),
      h('dt', {}, 'Expires'), h('dd', {}, timeElement(cert.notAfter), ' ', cert.daysLeft !== null ? expiryBadge(cert.daysLeft, cert.state === 'expired') : null),
      cert.subject ? [h('dt', {}, 'Subject'), h('dd', {}, h('code', { class: 'wrap' }, cert.subject))] : null,
      cert.fingerprint ? [h('dt', {}, 'SHA-256 fingerprint'), h('dd', {}, h('code', { class: 'wrap' }, cert.fingerprint))] : null),
    cert.state === 'expired'
      ? h('div', { class: 'alert alert-error', role: 'alert' }, h('p', {}, 'This certificate has expired: enrolled devices cannot be reached. Renew it now in Apple\'s portal with the same Apple ID (Renew, not Create), so the topic stays and devices answer again.'))
      : null);
}

function renewalBanner(cert: MdmCert): HTMLElement {
  const topic = cert.requiredTopic ?? cert.topic!;
  return h('div', { class: 'alert alert-info', id: 'renewal-banner' },
    h('p', { class: 'alert-title' }, 'Renewing'),
    h('p', {}, 'The current certificate keeps working until you upload the renewed one. The new certificate must have the topic ',
      h('code', { class: 'wrap', id: 'required-topic' }, topic),
      ': in Apple\'s portal, choose Renew on that certificate, signed in with the Apple ID that created it.'));
}

function renewSection(wizard: Wizard): HTMLElement {
  const start = h('button', { type: 'button' }, 'Start renewal');
  start.addEventListener('click', () => {
    wizard.renewal = true;
    wizard.show('csr');
  });
  return h('section', { class: 'card', 'aria-labelledby': 'renew-heading' },
    h('h2', { id: 'renew-heading' }, wizard.cert.state === 'none' ? 'Set up' : 'Renew'),
    h('p', {}, 'Apple\'s MDM push certificates last one year. Renew a few weeks before the expiry date: renewal keeps the topic, so enrolled devices keep answering, and the current certificate works until the new one is uploaded.'),
    h('div', { class: 'actions' }, start));
}
