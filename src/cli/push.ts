import type { Command } from 'commander';
import { registerPushApns } from './push-apns.ts';
import { registerPushMpns } from './push-mpns.ts';

/** `certpush push …`: send notifications directly, without the service. */
export function registerPush(program: Command): void {
  const push = program.command('push').description('Send notifications directly to APNs or MPNS (or their simulators).');
  registerPushApns(push);
  registerPushMpns(push);
  void push;
}
