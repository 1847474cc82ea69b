import { tenantPath } from '../api.ts';
import type { NotificationReport, Outcome, Tenant } from '../api-types.ts';
import { deliveriesChart } from '../chart.ts';
import { timeElement } from '../dates.ts';
import { h } from '../dom.ts';
import { longValue } from '../long-value.ts';
import { problemView } from '../problem-view.ts';
import { href } from '../router.ts';
import type { ViewContext } from '../view.ts';
import { tenantFrame } from './tenant-frame.ts';

/** How often a running notification's report refreshes. */
export const REFRESH_MS = 1000;
const RESULTS_PAGE = 25;

const OUTCOMES: Array<{ outcome: Outcome; label: string; level: string; help: string }> = [
  { outcome: 'delivered', label: 'Delivered', level: 'ok', help: 'Accepted by the push service.' },
  { outcome: 'pending', label: 'Pending', level: 'info', help: 'Not finished yet (includes retrying).' },
  { outcome: 'retrying', label: 'Retrying', level: 'warning', help: 'Failed for a passing reason; tried again with backoff.' },
  { outcome: 'invalid', label: 'Invalid device', level: 'expired', help: 'The device is gone (unregistered, expired channel): it is marked invalid.' },
  { outcome: 'rejected', label: 'Rejected', level: 'expired', help: 'The request itself was refused (payload, topic).' },
  { outcome: 'expired', label: 'Expired', level: 'neutral', help: 'Its expiration passed before it could be delivered.' },
  { outcome: 'failed', label: 'Failed', level: 'expired', help: 'Gave up after the last attempt, or the credential failed.' },
];

/** A notification's delivery report: counts by outcome, deliveries over time, per-device results; live while it runs. */
export async function renderDeliveryReport(root: HTMLElement, ctx: ViewContext, route: { tenantId: string; notificationId: string }): Promise<void> {
  const tenant = await ctx.api.get<Tenant>(tenantPath(route.tenantId), { signal: ctx.signal });
  const summary = h('div', { class: 'report-summary' });
  const counts = h('div');
  const chart = h('div');
  const results = h('div');
  const errors = h('div');
  const cursors: Array<string | null> = [null];
  let pageIndex = 0;
  let nextCursor: string | null = null;
  let wasRunning: boolean | null = null;
  // The chart is drawn at the container's width; a rotated phone or resized window redraws it.
  let drawChart = () => {};
  let resizeFrame = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => drawChart());
  }, { signal: ctx.signal });

  const previous = h('button', { type: 'button', class: 'button-secondary', disabled: true }, 'Previous results');
  const next = h('button', { type: 'button', class: 'button-secondary', disabled: true }, 'Next results');
  const pageLabel = h('span', {}, 'Page 1');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of results', hidden: true }, previous, pageLabel, next);
  previous.addEventListener('click', () => { pageIndex = Math.max(0, pageIndex - 1); void load(); });
  next.addEventListener('click', () => {
    if (!nextCursor) return;
    cursors[pageIndex + 1] = nextCursor;
    pageIndex += 1;
    void load();
  });

  async function load(): Promise<void> {
    const query = new URLSearchParams({ limit: String(RESULTS_PAGE) });
    const cursor = cursors[pageIndex];
    if (cursor) query.set('cursor', cursor);
    let report: NotificationReport;
    try {
      report = await ctx.api.get<NotificationReport>(tenantPath(tenant.id, `/notifications/${encodeURIComponent(route.notificationId)}?${query}`), { signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) return;
      errors.replaceChildren(problemView(error, 'The report could not be refreshed'));
      return;
    }
    if (ctx.signal.aborted) return;
    errors.replaceChildren();
    const running = report.completedAt === null;
    drawSummary(summary, report);
    drawCounts(counts, report);
    const elapsed = Math.ceil(((report.completedAt ? Date.parse(report.completedAt) : Date.now()) - Date.parse(report.createdAt)) / 1000);
    drawChart = () => chart.replaceChildren(deliveriesChart(report.timeline, { seconds: elapsed, width: chart.clientWidth }));
    drawChart();
    results.replaceChildren(resultsTable(report));
    nextCursor = report.nextCursor;
    previous.disabled = pageIndex === 0;
    next.disabled = !nextCursor;
    pager.hidden = previous.disabled && next.disabled;
    pageLabel.textContent = `Page ${pageIndex + 1}`;
    if (wasRunning !== running) ctx.announce(running ? `Sending to ${report.total} devices; this report refreshes every second.` : `Finished: ${report.counts.delivered} of ${report.total} delivered.`);
    wasRunning = running;
    if (running) setTimeout(() => { if (!ctx.signal.aborted) void load(); }, REFRESH_MS);
  }

  root.replaceChildren(...tenantFrame(ctx, tenant, null, 'Delivery report',
    h('p', {}, h('a', { href: href.send(tenant.id) }, 'Send another test push')),
    summary, errors,
    h('section', { class: 'card', 'aria-labelledby': 'counts-heading' }, h('h2', { id: 'counts-heading' }, 'Outcomes'), counts),
    h('section', { class: 'card', 'aria-labelledby': 'chart-heading' }, h('h2', { id: 'chart-heading' }, 'Deliveries over time'), chart),
    h('section', { class: 'card', 'aria-labelledby': 'results-heading' }, h('h2', { id: 'results-heading' }, 'Per device'), results, pager)));
  await load();
}

function drawSummary(slot: HTMLElement, report: NotificationReport): void {
  const finished = report.total - report.counts.pending;
  const progress = h('progress', { max: String(Math.max(1, report.total)), value: String(finished), id: 'report-progress' });
  slot.replaceChildren(
    h('p', { class: 'report-state', 'data-complete': report.completedAt ? 'true' : 'false' },
      report.completedAt
        ? [h('span', { class: 'badge badge-ok' }, 'Complete'), ` ${finished} of ${report.total} finished, at `, timeElement(report.completedAt, 'datetime'), '.']
        : [h('span', { class: 'badge badge-info' }, 'Sending'), ` ${finished} of ${report.total} finished. Refreshing every second.`]),
    h('div', { class: 'field field-wide' }, h('label', { for: 'report-progress' }, 'Progress'), progress),
    h('p', { class: 'meta' }, 'Sent ', timeElement(report.createdAt, 'datetime'), report.expiresAt ? [', expires ', timeElement(report.expiresAt, 'datetime')] : null, ` · id ${report.id}`));
}

function drawCounts(slot: HTMLElement, report: NotificationReport): void {
  slot.replaceChildren(h('dl', { class: 'counts' }, OUTCOMES.map((o) => h('div', { class: `count count-${o.level}`, 'data-outcome': o.outcome },
    h('dt', { title: o.help }, o.label),
    h('dd', {}, report.counts[o.outcome].toLocaleString())))));
}

function resultsTable(report: NotificationReport): HTMLElement {
  if (report.detailExpiredAt) return h('p', { 'data-detail-expired': '' }, `Per-device results expired on ${new Date(report.detailExpiredAt).toLocaleString()} (retention window); the outcome counts above are kept.`);
  if (report.results.length === 0) return h('p', {}, 'No results on this page.');
  return h('table', { class: 'responsive results' },
    h('caption', { class: 'visually-hidden' }, 'Result per device'),
    h('thead', {}, h('tr', {}, ['Token or channel URI', 'Platform', 'State', 'Attempts', 'Last answer', 'Updated'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, report.results.map((r) => h('tr', { 'data-device-id': r.deviceId },
      h('td', { 'data-label': 'Token or channel URI' }, r.token ? longValue(r.token) : h('code', {}, r.deviceId)),
      h('td', { 'data-label': 'Platform' }, r.platform ?? '—'),
      h('td', { 'data-label': 'State' }, h('span', { class: `badge badge-${stateLevel(r.state)}` }, r.state)),
      h('td', { 'data-label': 'Attempts' }, String(r.attempts)),
      h('td', { 'data-label': 'Last answer' }, [r.status ? `HTTP ${r.status}` : null, r.reason, r.class].filter(Boolean).join(' · ') || '—'),
      h('td', { 'data-label': 'Updated' }, timeElement(r.updatedAt, 'datetime'))))));
}

function stateLevel(state: string): string {
  if (state === 'delivered') return 'ok';
  if (state === 'pending') return 'info';
  if (state === 'expired') return 'neutral';
  return 'expired';
}
