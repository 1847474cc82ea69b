// The console's shell: sign-in state, the header, and which page the URL fragment shows.
import { Api } from './api.ts';
import type { Problem } from './api-types.ts';
import { h } from './dom.ts';
import { problemView } from './problem-view.ts';
import { href, parseRoute, type Route } from './router.ts';
import { clearSession, loadSession, saveSession, type Session } from './session.ts';
import type { View, ViewContext } from './view.ts';
import { pageHeading } from './view.ts';
import { renderDeliveryReport } from './views/delivery-report.ts';
import { renderDevices } from './views/devices.ts';
import { renderMdmWizard } from './views/mdm-wizard.ts';
import { renderMpnsCredential } from './views/mpns-credential.ts';
import { renderOperatorHome } from './views/operator-home.ts';
import { renderSendPush } from './views/send-push.ts';
import { renderSignIn } from './views/sign-in.ts';
import { renderTenantHome } from './views/tenant-home.ts';

const main = document.getElementById('main')!;
const who = document.getElementById('who')!;
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement;
const announcer = document.getElementById('announcer')!;

const VIEWS: { [P in Route['page']]: View<Extract<Route, { page: P }>> } = {
  'home': renderOperatorHome,
  'tenant': renderTenantHome,
  'mdm': renderMdmWizard,
  'mpns': renderMpnsCredential,
  'devices': renderDevices,
  'send': renderSendPush,
  'report': renderDeliveryReport,
  'not-found': async (root, _ctx, route) => {
    root.replaceChildren(pageHeading('Page not found'), h('p', {}, `There is no page at “${route.path}”. `, h('a', { href: href.home() }, 'Go to the start page'), '.'));
  },
};

let current: AbortController | null = null;

function announce(message: string): void {
  // Clear first so the same message twice is announced twice.
  announcer.textContent = '';
  requestAnimationFrame(() => { announcer.textContent = message; });
}

function showHeader(session: Session | null): void {
  signOutButton.hidden = session === null;
  who.textContent = session === null ? '' : session.kind === 'operator' ? 'Operator' : `Tenant: ${session.tenantName ?? session.tenantId}`;
}

function signOut(notice?: string): void {
  clearSession();
  current?.abort();
  current = null;
  showHeader(null);
  if (location.hash !== '' && location.hash !== '#/') history.replaceState(null, '', '#/');
  renderSignInPage(notice ?? 'You are signed out. The key was removed from this tab.');
}

function renderSignInPage(notice?: string): void {
  const root = h('div');
  main.replaceChildren(root);
  renderSignIn(root, (session) => {
    saveSession(session);
    announce(session.kind === 'operator' ? 'Signed in as the operator.' : `Signed in to tenant ${session.tenantName}.`);
    void render(true);
  }, notice);
}

async function render(moveFocus: boolean): Promise<void> {
  current?.abort();
  const session = loadSession();
  showHeader(session);
  if (!session) {
    renderSignInPage();
    return;
  }
  let route = parseRoute(location.hash);
  // A tenant key has one tenant: its "home" is that tenant's overview.
  if (session.kind === 'tenant' && route.page === 'home') {
    history.replaceState(null, '', href.tenant(session.tenantId!));
    route = parseRoute(location.hash);
  }
  const controller = new AbortController();
  current = controller;
  const api = new Api(session.key, (problem: Problem) => {
    if (problem.code === 'AUTH_INVALID') signOut(`Signed out: ${problem.detail}`);
  });
  const ctx: ViewContext = {
    api, session, signal: controller.signal, announce,
    navigate: (hash) => { location.hash = hash; },
  };
  const root = h('div', { class: 'page' }, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  main.replaceChildren(root);
  try {
    await (VIEWS[route.page] as View)(root, ctx, route);
  } catch (error) {
    if (controller.signal.aborted) return;
    root.replaceChildren(pageHeading('Something went wrong'), problemView(error, 'This page could not be loaded'));
  }
  if (moveFocus && !controller.signal.aborted) root.querySelector<HTMLElement>('h1')?.focus();
}

signOutButton.addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => void render(true));
// The skip link jumps to the content without touching the fragment the pages are addressed by.
document.getElementById('skip-link')!.addEventListener('click', (event) => {
  event.preventDefault();
  (main.querySelector<HTMLElement>('h1') ?? main).focus();
});
void render(false);
