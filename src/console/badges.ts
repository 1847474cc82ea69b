import type { MdmCertState } from './api-types.ts';
import { daysLeftText } from './dates.ts';
import { h } from './dom.ts';
import { expiryLevel, type ExpiryLevel } from './expiry.ts';

// Color is never the only cue: every badge says its meaning in words too.
const LEVEL_WORDS: Record<ExpiryLevel, string> = {
  expired: 'Expired',
  critical: 'Under 7 days',
  warning: 'Under 30 days',
  ok: 'Fine',
};

/** Days to expiry as a colored badge: expired / < 7 / < 30 / fine. */
export function expiryBadge(daysLeft: number, expired = false): HTMLElement {
  const level = expiryLevel(daysLeft, expired);
  const text = level === 'expired' && daysLeft >= 0 ? 'expired' : daysLeftText(daysLeft);
  return h('span', { class: `badge badge-${level}`, 'data-level': level, title: LEVEL_WORDS[level] }, text);
}

const STATE_WORDS: Record<MdmCertState, string> = {
  'none': 'Not set up',
  'awaiting-signature': 'CSR made: needs the vendor\'s signature',
  'awaiting-apple': 'Signed: waiting for Apple\'s certificate',
  'active': 'Active',
  'renewing': 'Renewing',
  'expired': 'Expired',
};

/** The MDM push certificate's state in words. */
export function stateBadge(state: MdmCertState): HTMLElement {
  const level = state === 'expired' ? 'expired' : state === 'active' || state === 'renewing' ? 'info' : 'neutral';
  return h('span', { class: `badge badge-${level}`, 'data-state': state }, STATE_WORDS[state]);
}
