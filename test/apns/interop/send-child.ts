// A process that uses ApnsClient the way a sender does: sends notifications, tallies each
// outcome, calls close() and then simply returns. The harness checks that it exits by itself —
// an open socket or timer left behind by the client keeps it alive, which is the bug to catch.
//
// Config: one JSON object in INTEROP_CONFIG (see ChildConfig in harness.ts). Prints JSON lines:
// {"report": …} when every outcome is in, then {"closed": true} when close() resolved.
import { ApnsClient, type ApnsClientOptions } from '../../../src/apns/client.ts';
import type { Notification } from '../../../src/apns/notification.ts';
import type { Outcome } from '../../../src/apns/outcome.ts';
import type { ChildConfig, ChildReport, OutcomeTally } from './harness.ts';

const config = JSON.parse(process.env.INTEROP_CONFIG!) as ChildConfig;

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

// The watchdog is unref'd: it must never be the thing that keeps this process alive.
const watchdog = setTimeout(() => {
  const { warmup, main } = tally;
  print({ hung: true, warmup: [warmup.classes, warmup.reasons], main: [main.classes, main.reasons], stats: client.stats() });
  process.exit(3);
}, config.deadlineMs);
watchdog.unref();

// `transport` is passed through as given: the option belongs to the session engineer's transport
// seam; a client without it ignores the unknown key.
const options = {
  endpoint: config.endpoint,
  ca: config.ca,
  certificate: { cert: config.cert, key: config.key },
  ...config.options,
  ...(config.transport ? { transport: config.transport } : {}),
} as ApnsClientOptions;
const client = new ApnsClient(options);

function emptyTally(): OutcomeTally {
  return { classes: {}, reasons: {}, byToken: {}, details: [] };
}
const tally = { warmup: emptyTally(), main: emptyTally() };

function record(into: OutcomeTally, outcome: Outcome, token: string): void {
  into.classes[outcome.class] = (into.classes[outcome.class] ?? 0) + 1;
  const reason = outcome.class === 'accepted' ? 'accepted' : `${outcome.status} ${outcome.reason}`;
  into.reasons[reason] = (into.reasons[reason] ?? 0) + 1;
  into.byToken[token] = (into.byToken[token] ?? 0) + 1;
  if (outcome.class !== 'accepted' && outcome.detail && into.details.length < 5) into.details.push(outcome.detail);
}

/** Token i: 64 hex digits, so a scripted server can pick its behaviour from the number. */
function token(i: number): string {
  return i.toString(16).padStart(64, '0');
}

const payload = config.payloadBytes
  ? JSON.stringify({ mdm: 'x'.repeat(Math.max(1, config.payloadBytes - 10)) })
  : '{"mdm":"interop-push-magic"}';

function notification(i: number): Notification {
  return { token: token(i), payload, pushType: 'mdm', ...(config.topic ? { topic: config.topic } : {}) };
}

// Warm-up: one at a time, each awaited (a case that needs a known first request on a connection).
for (let i = 0; i < (config.warmup ?? 0); i++) {
  const n = notification(config.firstToken + i);
  record(tally.warmup, await client.send(n), n.token);
}
const first = config.firstToken + (config.warmup ?? 0);
function* notifications(): Generator<Notification> {
  for (let i = 0; i < config.count; i++) yield notification(first + i);
}
await client.sendAll(notifications(), (outcome, n) => record(tally.main, outcome, n.token));
const report: ChildReport = { tally, stats: { ...client.stats() } };
print({ report });
await client.close();
print({ closed: true });
