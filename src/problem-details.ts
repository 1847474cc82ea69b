import { httpStatusOf, type ErrorCode } from './error-catalogue.ts';
import { isCertpushError } from './errors.ts';

/**
 * RFC 9457 problem details, as every certpush HTTP answer that is an error carries them (the
 * API and the signer alike). `type` is always "about:blank": the stable identifier is `code`
 * (see src/error-catalogue.ts), so there is no second, URL-shaped name for it to drift from,
 * and `title` is the status's phrase, as RFC 9457 asks for about:blank. Extensions: `errors`
 * (schema violations), `findings` (every rule a certificate or request breaks), `problems`
 * (device import lines).
 */
export interface Problem {
  type: 'about:blank';
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  [extension: string]: unknown;
}

/** RFC 9110's reason phrases for the statuses certpush answers with. */
const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

/** What an error may carry beside its message, copied into the problem as extensions. */
const EXTENSIONS = ['findings', 'problems'] as const;

/** A problem for `code`, with the status the catalogue gives it (500 for a code that has none). */
export function problem(code: ErrorCode, detail: string, extensions: Record<string, unknown> = {}): Problem {
  const status = httpStatusOf(code) ?? 500;
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, code, ...extensions };
}

/**
 * The problem a thrown value answers with, or null when it is not a CertpushError whose code
 * has an HTTP status: then it is a bug (or a start-up error) and the caller answers 500.
 */
export function problemFromError(error: unknown): Problem | null {
  if (!isCertpushError(error) || httpStatusOf(error.code) === null) return null;
  const extensions: Record<string, unknown> = {};
  for (const key of EXTENSIONS) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) extensions[key] = value;
  }
  return problem(error.code, error.message, extensions);
}
