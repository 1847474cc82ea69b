import { Api } from '../api.ts';
import { field, h, replaceChildren } from '../dom.ts';
import { problemView } from '../problem-view.ts';
import type { Session } from '../session.ts';
import { pageHeading, runAction, statusLine } from '../view.ts';

/**
 * Sign in with an API key. What the key reaches (GET /v1/whoami) decides the view: an operator
 * sees every tenant, a tenant key its own.
 */
export function renderSignIn(root: HTMLElement, onSignedIn: (session: Session) => void, notice?: string): void {
  const key = h('input', { type: 'password', name: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const status = statusLine();
  const errors = h('div');
  const form = h('form', { class: 'card sign-in', novalidate: true },
    field('API key', key, 'An operator key shows every tenant; a tenant key shows its own. It is kept only in this browser tab and forgotten when you close the tab or sign out.'),
    h('div', { class: 'actions' }, submit),
    status,
    errors);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = key.value.trim();
    if (!value) {
      errors.replaceChildren(h('div', { class: 'alert alert-error', role: 'alert' }, h('p', {}, 'Paste your API key first. Your operator gives tenants their keys; the operator key is printed when certpush first starts.')));
      key.focus();
      return;
    }
    void runAction({
      button: submit, status, errorSlot: errors, busy: 'Checking the key…',
      errorView: (error) => problemView(error, 'That key was not accepted'),
      action: async () => onSignedIn(await identify(value)),
    });
  });
  replaceChildren(root,
    pageHeading('Sign in to certpush'),
    notice ? h('div', { class: 'alert alert-info', role: 'status' }, h('p', {}, notice)) : null,
    form);
  key.focus();
}

async function identify(key: string): Promise<Session> {
  const who = await new Api(key).get<{ kind: 'operator' | 'tenant'; tenant: { id: string; name: string } | null }>('/v1/whoami');
  if (who.kind === 'operator') return { key, kind: 'operator', tenantId: null, tenantName: null };
  if (!who.tenant) throw new Error('This key reaches no tenant. Ask your operator for a new key.');
  return { key, kind: 'tenant', tenantId: who.tenant.id, tenantName: who.tenant.name };
}
