import { h } from './dom.ts';

/**
 * A time for people: in the user's locale, with the exact ISO value in `datetime` and in a
 * tooltip (`title`) for anyone who needs the precise instant.
 */
export function timeElement(iso: string | null | undefined, style: 'date' | 'datetime' = 'date'): HTMLElement {
  if (!iso) return h('span', {}, '—');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('span', {}, iso);
  const text = style === 'date'
    ? date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
    : date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, text);
}

/** "12 days left", "expires today", "expired 3 days ago". */
export function daysLeftText(daysLeft: number): string {
  if (daysLeft < 0) return `expired ${-daysLeft} day${daysLeft === -1 ? '' : 's'} ago`;
  if (daysLeft === 0) return 'expires today';
  return `${daysLeft} day${daysLeft === 1 ? '' : 's'} left`;
}
