import { isCertpushError } from '../errors.ts';
import { FindingsError } from '../pki/finding.ts';

/**
 * certpush's exit codes, the same in every command (README "CLI reference"):
 * 0 the command did what it says; 1 it could not (usage error, a missing, empty or unreadable
 * input file, a server that cannot be reached); 2 it read everything and a check said no (an
 * invalid request, a failing certificate, a push not delivered, a CSR it refused to sign).
 * Scripts can tell "fix the command line" from "fix the material" without parsing messages.
 */
export const EXIT_SUCCESS = 0;
export const EXIT_USAGE = 1;
export const EXIT_FOUND_WANTING = 2;
/** A certpush bug (an error that is not a CertpushError): EX_SOFTWARE from sysexits.h. */
export const EXIT_BUG = 70;

const verdicts = new WeakSet<object>();

/**
 * Mark an error from a check whose refusal is a verdict on readable input (exit 2), e.g. that
 * no Apple WWDR CA issued the vendor certificate. Usage errors (CLI_*) stay exit 1.
 */
export function asVerdict(error: unknown): unknown {
  if (error !== null && typeof error === 'object' && !(isCertpushError(error) && error.code.startsWith('CLI_'))) verdicts.add(error);
  return error;
}

/** Run a check (vendor-sign's checks of the CSR, the vendor identity and the chain); its errors are verdicts. */
export async function checking<T>(check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    throw asVerdict(error);
  }
}

/** The exit code for an error that reached main(): 2 for a check that listed findings or a marked verdict, else 1. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof FindingsError) return EXIT_FOUND_WANTING;
  if (error !== null && typeof error === 'object' && verdicts.has(error)) return EXIT_FOUND_WANTING;
  return EXIT_USAGE;
}
