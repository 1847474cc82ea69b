/**
 * One problem a check found. Checks collect findings instead of throwing so that a user
 * sees every problem at once, not one per run.
 */
export interface Finding {
  /** Stable, SCREAMING_SNAKE: callers and tests branch on it. */
  code: string;
  /** What is wrong and how to fix it. */
  message: string;
  severity: 'error' | 'warning';
}

export function error(code: string, message: string): Finding {
  return { code, message, severity: 'error' };
}

export function warning(code: string, message: string): Finding {
  return { code, message, severity: 'warning' };
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
