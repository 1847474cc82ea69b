import { Command, CommanderError } from 'commander';
import { type ErrorCode, isCertpushError } from '../errors.ts';
import { registerCert } from './cert.ts';
import { registerDemo } from './demo.ts';
import { EXIT_BUG, EXIT_USAGE, exitCodeOf } from './exit-codes.ts';
import { registerMdm } from './mdm.ts';
import { registerMpns } from './mpns.ts';
import { stopWithNpmParent } from './parent-watch.ts';
import { registerPush } from './push.ts';
import { registerServe } from './serve.ts';
import { registerSimulate } from './simulate.ts';
import { registerSigner } from './signer.ts';
import { registerTenant } from './tenant.ts';
import { formatUsageError, isCommanderSuccess } from './usage-errors.ts';

/** Build the `certpush` command tree. Each group lives in its own file. */
export function buildProgram(): Command {
  // Set before any subcommand is added: subcommands copy these settings when created.
  // commander prints nothing itself; main() prints its errors in certpush's format.
  const program = new Command('certpush')
    .description('Certificate-authenticated push: MDM push certificates, APNs and MPNS delivery, simulators.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .configureOutput({ outputError: () => {} })
    .exitOverride();
  registerCert(program);
  registerDemo(program);
  registerMdm(program);
  registerMpns(program);
  registerPush(program);
  registerServe(program);
  registerSimulate(program);
  registerSigner(program);
  registerTenant(program);
  return program;
}

/**
 * Run the CLI; resolves to the exit code (see exit-codes.ts). Every error prints one clear line
 * on stderr, "certpush: <what is wrong and how to fix it> [CODE]".
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  stopWithNpmParent();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (isCommanderSuccess(error)) return 0;
      process.stderr.write(formatUsageError(error, program, argv.slice(2)));
      return EXIT_USAGE;
    }
    if (isCertpushError(error)) {
      process.stderr.write(`certpush: ${error.message} [${error.code}]\n`);
      return exitCodeOf(error);
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`certpush: file not found: ${(error as NodeJS.ErrnoException).path}. Check the path. [FILE_NOT_FOUND]\n`);
      return EXIT_USAGE;
    }
    const problem = error as Error;
    const code: ErrorCode = 'UNEXPECTED_ERROR';
    process.stderr.write(`certpush: unexpected error: ${String(problem.message ?? error).replace(/\.$/, '')}. This is a certpush bug; please report it with the stack below. [${code}]\n${problem.stack ?? ''}\n`);
    return EXIT_BUG;
  }
}
