import type { ServerResponse } from 'node:http';
import { CertpushError, type ErrorCode } from '../errors.ts';
import type { Finding } from '../pki/finding.ts';
import { problem, problemFromError, type Problem } from '../problem-details.ts';

/**
 * An HTTP error answer the signer gives on purpose: a stable code (its status is the code's,
 * from the catalogue), what to fix, and any headers the answer needs (Allow, WWW-Authenticate).
 */
export class HttpProblem extends CertpushError {
  readonly findings: Finding[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: { findings?: Finding[]; headers?: Record<string, string> } = {}) {
    super(code, message);
    this.name = 'HttpProblem';
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
 * Answer anything thrown while handling a request as problem+json, with the builder the API
 * uses (src/problem-details.ts). What has no HTTP status of its own is a bug: it is logged and
 * answered SIGNER_INTERNAL, revealing nothing.
 */
export function sendProblem(res: ServerResponse, error: unknown, log: (line: string) => void): void {
  let body: Problem | null = problemFromError(error);
  if (!body) {
    log(`signer: unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    body = problem('SIGNER_INTERNAL', 'The signer failed unexpectedly; its log has the details. Try again, and report it if it persists.');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = error instanceof HttpProblem ? error.headers : {};
  sendJson(res, body.status, body, { ...headers, 'content-type': 'application/problem+json' });
}
