import { STATUS_CODES, type ServerResponse } from 'node:http';
import { CertpushError } from '../errors.ts';
import type { Finding } from '../pki/finding.ts';
import type { SignerProblem } from './protocol.ts';

/** An HTTP error answer the signer gives on purpose: a status, a stable code, and what to fix. */
export class HttpProblem extends CertpushError {
  readonly status: number;
  readonly findings: Finding[] | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, options: { findings?: Finding[]; headers?: Record<string, string> } = {}) {
    super(code, message);
    this.name = 'HttpProblem';
    this.status = status;
    this.findings = options.findings;
    this.headers = options.headers ?? {};
  }
}

/** Answer with JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': headers['content-type'] ?? 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * Answer with RFC 9457 problem details. `type` is about:blank (the `code` is certpush's stable
 * identifier), so `title` is the HTTP status text as the RFC asks.
 */
export function sendProblem(res: ServerResponse, problem: HttpProblem): void {
  const body: SignerProblem = {
    type: 'about:blank',
    title: STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.message,
    code: problem.code,
    ...(problem.findings ? { findings: problem.findings } : {}),
  };
  sendJson(res, problem.status, body, { ...problem.headers, 'content-type': 'application/problem+json' });
}
