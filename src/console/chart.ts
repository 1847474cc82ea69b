import { h, svg } from './dom.ts';

/**
 * One bar: deliveries the push service accepted in this second since the notification was created.
 */
export interface SecondCount {
  second: number;
  delivered: number;
}

const DEFAULT_WIDTH = 640;
const HEIGHT = 220;
/** A fast send finishes within a second; a 10-second axis keeps its bar a bar, not a wall. */
const MIN_SPAN = 10;
const PAD = { left: 52, right: 12, top: 14, bottom: 36 };

/** 1, 2 or 5 times a power of ten, at least `value`: axis labels people can read. */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * Finished deliveries per second as an SVG bar chart — a few dozen lines instead of a chart
 * library, and nothing inline that the CSP would block (colors come from classes in
 * styles.css). `seconds` stretches the x axis while a notification runs; `width` is the
 * container's, so text is drawn at its real size on a laptop and on a phone.
 */
export function deliveriesChart(timeline: readonly SecondCount[], options: { seconds?: number; width?: number } = {}): HTMLElement {
  const WIDTH = Math.max(280, options.width || DEFAULT_WIDTH);
  const span = Math.max(MIN_SPAN, options.seconds ?? 0, ...timeline.map((t) => t.second + 1));
  const peak = Math.max(0, ...timeline.map((t) => t.delivered));
  const top = niceCeiling(peak);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (second: number) => PAD.left + (second / span) * plotWidth;
  const y = (count: number) => PAD.top + plotHeight - (count / top) * plotHeight;
  const gap = plotWidth / span > 6 ? 2 : 0;
  const barWidth = Math.max(1, plotWidth / span - gap);
  const total = timeline.reduce((sum, t) => sum + t.delivered, 0);
  const peakAt = timeline.find((t) => t.delivered === peak);
  const lastSecond = Math.max(0, ...timeline.map((t) => t.second));
  const summary = total === 0
    ? 'None delivered yet.'
    : `${total} delivered over ${lastSecond + 1} second${lastSecond === 0 ? '' : 's'}; peak ${peak} per second${peakAt ? ` at second ${peakAt.second}` : ''}.`;

  const grid = [0, top / 2, top].map((value) => svg('g', { class: 'chart-grid' },
    svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
    svg('text', { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'chart-label' }, formatCount(value))));
  const bars = timeline.filter((t) => t.delivered > 0).map((t) => svg('rect', {
    class: 'chart-bar', x: x(t.second) + gap / 2, y: y(t.delivered), width: barWidth, height: Math.max(0.5, y(0) - y(t.delivered)),
  }, svg('title', {}, `second ${t.second}: ${t.delivered} delivered`)));
  const ticks = [0, Math.round(span / 2), span].filter((v, i, all) => all.indexOf(v) === i).map((second) =>
    svg('text', { x: x(second), y: HEIGHT - PAD.bottom + 16, 'text-anchor': second === 0 ? 'start' : second === span ? 'end' : 'middle', class: 'chart-label' }, `${second}s`));

  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img', 'aria-label': `Deliveries accepted by the push service, per second. ${summary}` },
    ...grid, ...bars, ...ticks,
    svg('text', { x: PAD.left + plotWidth / 2, y: HEIGHT - 4, 'text-anchor': 'middle', class: 'chart-label' }, 'seconds since sent'),
    svg('line', { class: 'chart-axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0) }));
  return h('figure', { class: 'chart-figure' }, chart, h('figcaption', {}, `Deliveries accepted by the push service, per second. ${summary}`));
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(1);
}
