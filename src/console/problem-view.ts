import { ApiError } from './api.ts';
import type { Finding, Problem } from './api-types.ts';
import { h } from './dom.ts';

/**
 * The problem behind any error a view catches. A thrown non-API error (the network is down, a
 * file could not be read) becomes one without a code: certpush never issued one, and a made-up
 * code would send the user searching the error tables for nothing.
 */
export function problemOf(error: unknown): Problem {
  if (error instanceof ApiError) return error.problem;
  return { type: 'about:blank', title: 'Error', status: 0, code: '', detail: error instanceof Error ? error.message : String(error) };
}

/**
 * An API error as the user needs it: certpush's `detail` says what to fix, the `code` is what
 * to quote to an operator or search for. Findings of a check are listed one by one.
 */
export function problemView(error: unknown, heading = 'That did not work'): HTMLElement {
  const problem = problemOf(error);
  return h('div', { class: 'alert alert-error', role: 'alert' },
    h('p', { class: 'alert-title' }, heading),
    // With findings, the detail's first line is the summary and the rest repeats the findings.
    h('p', { class: 'problem-detail' }, problem.findings?.length ? problem.detail.split('\n')[0] : problem.detail),
    problem.findings?.length ? findingsList(problem.findings) : null,
    problem.code ? h('p', { class: 'problem-code' }, 'Error code: ', h('code', {}, problem.code), problem.status ? ` (HTTP ${problem.status})` : '') : null);
}

/** Check results: errors and warnings with their codes. */
export function findingsList(findings: readonly Finding[]): HTMLElement {
  return h('ul', { class: 'findings' }, findings.map((f) => h('li', { class: `finding finding-${f.severity}` },
    h('span', { class: `badge badge-${f.severity === 'error' ? 'expired' : 'warning'}` }, f.severity === 'error' ? 'Error' : 'Warning'),
    ' ', f.message, ' ', h('code', {}, f.code))));
}
