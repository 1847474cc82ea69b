import type { Problem } from '../api-types.ts';
import { h } from '../dom.ts';
import { statusLine } from '../view.ts';

/** The import check's code for a renewal whose topic differs (src/mdm/push-cert-import.ts). */
export const TOPIC_CHANGED = 'PUSH_CERT_TOPIC_CHANGED';

/** The import was refused only because the topic changed: forcing it would succeed. */
export function isTopicChange(problem: Problem): boolean {
  if (problem.status !== 422) return false;
  const errors = problem.findings?.filter((f) => f.severity === 'error');
  if (errors?.length) return errors.every((f) => f.code === TOPIC_CHANGED);
  return problem.detail.includes(TOPIC_CHANGED);
}

/**
 * A renewal with another topic strands every enrolled device: say so plainly, say how to get
 * it right (Renew, same Apple ID), and offer the deliberate replacement only behind its own
 * confirmation.
 */
export function topicChangeDanger(problem: Problem, requiredTopic: string | null, replace: (button: HTMLButtonElement, status: HTMLElement, errors: HTMLElement) => Promise<boolean>): HTMLElement {
  const finding = problem.findings?.find((f) => f.code === TOPIC_CHANGED);
  const newTopic = /topic (\S+) differs/.exec(finding?.message ?? problem.detail)?.[1] ?? null;
  const confirm = h('input', { type: 'checkbox', id: 'force-confirm', name: 'force-confirm' });
  const button = h('button', { type: 'button', class: 'button-danger', disabled: true }, 'Replace anyway (force)');
  const status = statusLine();
  const errors = h('div');
  confirm.addEventListener('change', () => { button.disabled = !confirm.checked; });
  button.addEventListener('click', () => {
    if (confirm.checked) void replace(button, status, errors);
  });
  return h('div', { class: 'alert alert-danger', role: 'alert', id: 'topic-danger' },
    h('h3', {}, 'Danger: this certificate has a different topic'),
    h('p', {}, 'The current certificate\'s topic is ', h('code', { class: 'wrap' }, requiredTopic ?? '(unknown)'), '; this one\'s is ', h('code', { class: 'wrap' }, newTopic ?? '(see below)'), '. ',
      h('strong', {}, 'If you import it, every device enrolled under the current topic stops answering pushes until it is enrolled again.')),
    h('p', {}, 'This happens when the certificate was made with Create instead of Renew, or under another Apple ID. To keep your devices: in Apple\'s portal, sign in with the Apple ID that made the current certificate, choose Renew on the certificate with the current topic, and upload the certificate it issues.'),
    // The server's finding says the same as the two paragraphs above; show it only when the
    // new topic could not be read from it (then it is the one place that names it).
    newTopic ? null : h('p', { class: 'problem-detail' }, finding?.message ?? problem.detail),
    h('p', { class: 'problem-code' }, 'Error code: ', h('code', {}, problem.code), ' · ', h('code', {}, TOPIC_CHANGED)),
    h('fieldset', { class: 'force' },
      h('legend', {}, 'Replace anyway (force)'),
      h('div', { class: 'checkbox' }, confirm, h('label', { for: 'force-confirm' }, 'I understand: replace the topic, then enroll every device again.')),
      h('div', { class: 'actions' }, button), status, errors));
}
