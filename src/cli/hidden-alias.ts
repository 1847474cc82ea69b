import { type Command, Option } from 'commander';

/**
 * An old spelling of an option that keeps working but is not shown in --help: its value is
 * stored under `target` (the current option's attribute name), so the action sees one option.
 * certpush's one naming scheme (README "CLI reference") replaced `--pfx`, `--vendor-p12` and
 * `--passphrase-file`; scripts written against them go on working.
 */
export function hiddenAlias(command: Command, flags: string, target: string): Command {
  const alias = new Option(flags).hideHelp();
  command.addOption(alias);
  command.on(`option:${alias.name()}`, (value: unknown) => {
    command.setOptionValueWithSource(target, value, 'cli');
  });
  return command;
}
