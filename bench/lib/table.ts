import type { ContenderResult } from './contender.ts';

/**
 * Print a benchmark table: throughput, CPU per unit, peak RSS, and each row's ratio to the
 * reference row (the peer), so a reader sees "ours vs theirs" in one glance.
 */
export function printTable(title: string, unit: string, rows: ContenderResult[], referenceName?: string): string {
  const reference = rows.find((r) => r.name === referenceName);
  const extraKeys = [...new Set(rows.flatMap((r) => Object.keys(r.extra ?? {})))];
  const header = ['contender', `${unit}s`, `${unit}s/s`, `CPU µs/${unit}`, 'peak RSS MB', ...(reference ? ['vs ' + reference.name] : []), ...extraKeys];
  const body = rows.map((r) => {
    const rate = r.count / (r.elapsedMs / 1000);
    const ratio = reference ? rate / (reference.count / (reference.elapsedMs / 1000)) : null;
    return [
      r.name,
      String(r.count),
      rate.toFixed(0),
      r.count > 0 ? (r.cpuUs / r.count).toFixed(1) : '—',
      (r.maxRssBytes / 1048576).toFixed(0),
      ...(ratio === null ? [] : [`${ratio.toFixed(2)}×`]),
      ...extraKeys.map((k) => String(r.extra?.[k] ?? '')),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const text = [`\n## ${title}\n`, line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line), ''].join('\n');
  process.stdout.write(`${text}\n`);
  return text;
}
