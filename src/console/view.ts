import type { Api } from './api.ts';
import { h } from './dom.ts';
import type { Route } from './router.ts';
import type { Session } from './session.ts';

/** What every page gets from the app shell. */
export interface ViewContext {
  api: Api;
  session: Session;
  /** Aborted when the user leaves the page: stop polling, drop late answers. */
  signal: AbortSignal;
  /** Say something to screen readers (and show it in the status line). */
  announce(message: string): void;
  navigate(hash: string): void;
}

/** A page: draws itself into `root` (a fresh element, so a late draw of a left page is harmless). */
export type View<R extends Route = Route> = (root: HTMLElement, ctx: ViewContext, route: R) => Promise<void>;

/**
 * The page's main heading; focusable so the shell can move focus to it after navigation
 * (screen readers then read where the user landed). Also sets the window title.
 */
export function pageHeading(text: string, ...extra: Array<Node | string>): HTMLHeadingElement {
  document.title = `${text} — certpush`;
  return h('h1', { tabindex: '-1', class: 'page-heading' }, text, ...extra);
}

/** A visible status line for one form or action; polite live region for screen readers. */
export function statusLine(): HTMLParagraphElement {
  return h('p', { class: 'status-line', role: 'status' });
}

/**
 * Run an action from a button: disable it, say what is happening, show the API's problem if it
 * fails (in `errorSlot`), and re-enable. Returns whether it succeeded.
 */
export async function runAction(options: {
  button: HTMLButtonElement;
  status: HTMLElement;
  errorSlot: HTMLElement;
  busy: string;
  action: () => Promise<void>;
  errorView: (error: unknown) => HTMLElement;
}): Promise<boolean> {
  const { button, status, errorSlot } = options;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  errorSlot.replaceChildren();
  status.textContent = options.busy;
  try {
    await options.action();
    return true;
  } catch (error) {
    status.textContent = '';
    errorSlot.replaceChildren(options.errorView(error));
    return false;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
