import { CertpushError, type ErrorCode } from '../errors.ts';

/**
 * One problem a check found. Checks collect findings instead of throwing so that a user
 * sees every problem at once, not one per run.
 */
export interface Finding {
  /** Stable, SCREAMING_SNAKE: callers and tests branch on it. */
  code: ErrorCode;
  /** What is wrong and how to fix it. */
  message: string;
  severity: 'error' | 'warning';
}

export function error(code: ErrorCode, message: string): Finding {
  return { code, message, severity: 'error' };
}

export function warning(code: ErrorCode, message: string): Finding {
  return { code, message, severity: 'warning' };
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** The error findings as message lines: "  - <message> [<CODE>]". */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.filter((f) => f.severity === 'error').map((f) => `  - ${f.message} [${f.code}]`).join('\n');
}

/** A refusal that carries every finding, so callers (CLI --json, API problem bodies) can list them. */
export class FindingsError extends CertpushError {
  readonly findings: Finding[];

  constructor(code: ErrorCode, message: string, findings: Finding[]) {
    super(code, message);
    this.name = 'FindingsError';
    this.findings = findings;
  }

  /** "<what>:" followed by every error finding, one per line. */
  static of(code: ErrorCode, what: string, findings: Finding[]): FindingsError {
    return new FindingsError(code, `${what}:\n${formatFindings(findings)}`, findings);
  }
}
