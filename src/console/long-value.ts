import { h } from './dom.ts';

/** Device tokens and channel URIs are long: show this much of each end. */
const HEAD = 12;
const TAIL = 8;

/**
 * The short form of a token or channel URI. A URI keeps its scheme and host whole — the host
 * says which push service (and whether it is the real one) — and shortens only the path.
 */
export function shortForm(value: string): string {
  if (value.length <= HEAD + TAIL + 4) return value;
  const origin = /^https?:\/\/[^/?#]+/i.exec(value)?.[0];
  if (origin) return value.length <= origin.length + TAIL + 4 ? value : `${origin}/…${value.slice(-TAIL)}`;
  return `${value.slice(0, HEAD)}…${value.slice(-TAIL)}`;
}

/**
 * A long value shortened to scan, with the full value one click (or Enter) away — a
 * disclosure rather than a tooltip, so keyboard and screen-reader users get it too.
 */
export function longValue(value: string): HTMLElement {
  if (shortForm(value) === value) return h('code', { class: 'wrap' }, value);
  return h('details', { class: 'truncated' },
    h('summary', {}, h('code', {}, shortForm(value)), h('span', { class: 'visually-hidden' }, ' (show the full value)')),
    h('code', { class: 'wrap full-value' }, value));
}
