import { h } from './dom.ts';

/** Device tokens and channel URIs are long: show this much of each end. */
const HEAD = 12;
const TAIL = 8;

export function shortForm(value: string): string {
  return value.length <= HEAD + TAIL + 4 ? value : `${value.slice(0, HEAD)}…${value.slice(-TAIL)}`;
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
