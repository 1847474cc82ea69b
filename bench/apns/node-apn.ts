// Contender: @parse/node-apn sends N MDM pushes over mTLS to the simulator.
// APNS_BENCH_BATCH=0: one provider.send(note, allTokens) call, as its README shows; otherwise
// awaited calls of that many tokens each.
// Env: APNS_BENCH_DIR, APNS_BENCH_URL, APNS_BENCH_N, APNS_BENCH_BATCH; APNS_BENCH_TOKEN (one
// device token for all, for a server that serves one path).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { reportContender } from '../lib/contender.ts';

const require = createRequire(import.meta.url);
const apn = require('@parse/node-apn') as {
  Provider: new (options: object) => { send(note: unknown, tokens: string | string[]): Promise<{ sent: unknown[]; failed: Array<{ error?: { message?: string }; status?: number }> }>; shutdown(): void };
  Notification: new () => { topic: string; pushType: string; rawPayload: object };
};

const dir = process.env.APNS_BENCH_DIR!;
const n = Number(process.env.APNS_BENCH_N ?? 100_000);
const batch = Number(process.env.APNS_BENCH_BATCH ?? 0);
const fixedToken = process.env.APNS_BENCH_TOKEN;
const url = new URL(process.env.APNS_BENCH_URL!);
const provider = new apn.Provider({
  cert: fs.readFileSync(path.join(dir, 'push.pem')),
  key: fs.readFileSync(path.join(dir, 'push.key')),
  ca: fs.readFileSync(path.join(dir, 'server-ca.pem')),
  address: url.hostname,
  port: Number(url.port),
});
const note = new apn.Notification();
note.topic = fs.readFileSync(path.join(dir, 'topic.txt'), 'utf8');
note.pushType = 'mdm';
note.rawPayload = { mdm: 'bench-push-magic' };

await reportContender(async () => {
  let sent = 0;
  let failed = 0;
  let firstError = '';
  const size = batch > 0 ? batch : n;
  for (let start = 0; start < n; start += size) {
    const tokens: string[] = [];
    for (let i = start; i < Math.min(n, start + size); i++) tokens.push(fixedToken ?? i.toString(16).padStart(64, '0'));
    const result = await provider.send(note, tokens);
    sent += result.sent.length;
    failed += result.failed.length;
    firstError ||= result.failed[0]?.error?.message ?? (result.failed[0]?.status ? String(result.failed[0].status) : '');
  }
  return { count: sent, extra: { failed, ...(firstError ? { error: firstError.slice(0, 60) } : {}) } };
});
provider.shutdown();
