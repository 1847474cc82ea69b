// Contender: certpush's ApnsClient sends N MDM pushes over mTLS (sendAll: bounded queue).
// Env: APNS_BENCH_DIR, APNS_BENCH_URL, APNS_BENCH_N; APNS_BENCH_TRANSPORT (the client's
// `transport` option: certpush | node), APNS_BENCH_TOKEN (one device token for all, for a server
// that serves one path); for experiments APNS_BENCH_SESSIONS, APNS_BENCH_STREAMS,
// APNS_BENCH_QUEUE override the client's defaults.
import fs from 'node:fs';
import path from 'node:path';
import { ApnsClient } from '../../src/apns/client.ts';
import type { Notification } from '../../src/apns/notification.ts';
import { reportContender } from '../lib/contender.ts';

const dir = process.env.APNS_BENCH_DIR!;
const n = Number(process.env.APNS_BENCH_N ?? 100_000);
const fixedToken = process.env.APNS_BENCH_TOKEN;
const client = new ApnsClient({
  endpoint: process.env.APNS_BENCH_URL!,
  // Passed through as given: the option of the transport seam (a client without it ignores it).
  ...(process.env.APNS_BENCH_TRANSPORT ? { transport: process.env.APNS_BENCH_TRANSPORT } : {}),
  ca: fs.readFileSync(path.join(dir, 'server-ca.pem')),
  ...(process.env.APNS_BENCH_STREAMS ? { maxConcurrentStreams: Number(process.env.APNS_BENCH_STREAMS) } : {}),
  ...(process.env.APNS_BENCH_SESSIONS ? { maxSessions: Number(process.env.APNS_BENCH_SESSIONS) } : {}),
  ...(process.env.APNS_BENCH_QUEUE ? { maxQueued: Number(process.env.APNS_BENCH_QUEUE) } : {}),
  certificate: { cert: fs.readFileSync(path.join(dir, 'push.pem')), key: fs.readFileSync(path.join(dir, 'push.key')) },
} as ConstructorParameters<typeof ApnsClient>[0]);
const topic = client.topic!;

function* notifications(): Generator<Notification> {
  for (let i = 0; i < n; i++) yield { token: fixedToken ?? i.toString(16).padStart(64, '0'), payload: '{"mdm":"bench-push-magic"}', pushType: 'mdm', topic };
}

await reportContender(async () => {
  const summary = await client.sendAll(notifications());
  const extra: Record<string, number> = { failed: summary.total - summary.accepted };
  // With --expose-gc (the long run sets it): the heap still alive after all the sends, which
  // shows that nothing is kept per notification, whatever the peak RSS V8 chose to grow to.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    extra['live heap MB'] = Math.round(process.memoryUsage().heapUsed / 1048576);
  }
  return { count: summary.accepted, extra };
});
await client.close();
