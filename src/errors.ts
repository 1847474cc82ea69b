import type { ErrorCode } from './error-catalogue.ts';

export { type ErrorCode, isErrorCode } from './error-catalogue.ts';

/**
 * The one error type certpush throws. `code` is stable (callers branch on it) and is one of
 * the catalogue's (src/error-catalogue.ts), which also gives its HTTP status; `message` names
 * the problem and says how to fix it.
 *
 * @example
 * try { parsePem(text) } catch (e) { if (e instanceof CertpushError && e.code === 'PEM_TRUNCATED') … }
 */
export class CertpushError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertpushError';
    this.code = code;
  }
}

/** True when `value` is a CertpushError with the given code (or any code when omitted). */
export function isCertpushError(value: unknown, code?: string): value is CertpushError {
  return value instanceof CertpushError && (code === undefined || value.code === code);
}
