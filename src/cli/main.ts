import { Command, CommanderError } from 'commander';
import { isCertpushError } from '../errors.ts';
import { registerCert } from './cert.ts';
import { registerDemo } from './demo.ts';
import { registerMdm } from './mdm.ts';
import { registerMpns } from './mpns.ts';
import { stopWithNpmParent } from './parent-watch.ts';
import { registerPush } from './push.ts';
import { registerServe } from './serve.ts';
import { registerSimulate } from './simulate.ts';
import { registerSigner } from './signer.ts';

/** Build the `certpush` command tree. Each group lives in its own file. */
export function buildProgram(): Command {
  const program = new Command('certpush')
    .description('Certificate-authenticated push: MDM push certificates, APNs and MPNS delivery, simulators.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCert(program);
  registerDemo(program);
  registerMdm(program);
  registerMpns(program);
  registerPush(program);
  registerServe(program);
  registerSimulate(program);
  registerSigner(program);
  return program;
}

/**
 * Run the CLI; resolves to the exit code. Errors print one clear line on stderr
 * ("certpush: <what is wrong and how to fix it>") and exit non-zero.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  stopWithNpmParent();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isCertpushError(error)) {
      process.stderr.write(`certpush: ${error.message} [${error.code}]\n`);
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`certpush: file not found: ${(error as NodeJS.ErrnoException).path}. Check the path.\n`);
      return 1;
    }
    process.stderr.write(`certpush: unexpected error: ${(error as Error).stack ?? error}\n`);
    return 70;
  }
}
