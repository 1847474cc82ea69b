import type { Command } from 'commander';

/** `certpush mpns …`: checks for the authenticated MPNS web service. */
export function registerMpns(program: Command): void {
  const mpns = program.command('mpns').description('Microsoft Push Notification Service: credential checks.');
  void mpns;
}
