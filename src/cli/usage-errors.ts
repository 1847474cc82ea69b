import type { Command, CommanderError } from 'commander';

/**
 * commander's own errors (unknown option, missing argument, …) in certpush's one error format,
 * `certpush: <message> [CODE]`, with a code a script can branch on. commander's printing is
 * switched off in buildProgram() so that this is the only line a usage error prints.
 */
const CODES: Record<string, string> = {
  'commander.unknownOption': 'CLI_UNKNOWN_OPTION',
  'commander.unknownCommand': 'CLI_UNKNOWN_COMMAND',
  'commander.missingArgument': 'CLI_MISSING_ARGUMENT',
  'commander.optionMissingArgument': 'CLI_MISSING_OPTION_VALUE',
  'commander.missingMandatoryOptionValue': 'CLI_MISSING_OPTION',
  'commander.excessArguments': 'CLI_EXCESS_ARGUMENTS',
  'commander.invalidArgument': 'CLI_INVALID_VALUE',
  'commander.conflictingOption': 'CLI_CONFLICTING_OPTIONS',
  // A command group run without its subcommand: commander has printed the group's help.
  'commander.help': 'CLI_MISSING_COMMAND',
};

/** True for commander's ways of ending normally (--help, --version). */
export function isCommanderSuccess(error: CommanderError): boolean {
  return error.exitCode === 0;
}

/** The one line for a commander error, naming the command whose --help shows the usage. */
export function formatUsageError(error: CommanderError, program: Command, args: readonly string[]): string {
  const code = CODES[error.code] ?? 'CLI_USAGE';
  const command = commandPath(program, args);
  const message = error.code === 'commander.help'
    ? `"${command}" needs a command: one of those listed above`
    : error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
  return `certpush: ${message} (see "${command} --help") [${code}]\n`;
}

/** "certpush mdm status" for argv ["mdm", "status", "--tenant", …]: the commands named, as far as they exist. */
function commandPath(program: Command, args: readonly string[]): string {
  const names = [program.name()];
  let command = program;
  for (const arg of args) {
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    names.push(sub.name());
    command = sub;
  }
  return names.join(' ');
}
