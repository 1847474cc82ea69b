import type { Command } from 'commander';

/** `certpush push …`: send notifications directly, without the service. */
export function registerPush(program: Command): void {
  const push = program.command('push').description('Send notifications directly to APNs or MPNS (or their simulators).');
  void push;
}
