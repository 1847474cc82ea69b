// Contender: the npm `mpns` package sends N authenticated toasts (HTTPS, client certificate)
// to the simulator, 32 in flight at a time (it opens one TLS connection per notification, so
// an unbounded burst would exhaust sockets). Args: PKI dir, simulator HTTP URL, HTTPS URL, N.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { reportContender } from '../lib/contender.ts';
import { BENCH_DEVICES, BENCH_TOAST, simulatorStats } from './toast.ts';

type Callback = (error: unknown, result?: { statusCode: number }) => void;
const mpns = createRequire(import.meta.url)('mpns') as { sendToast(uri: string, options: object, callback: Callback): void };

const WINDOW = 32;
const [dir, httpUrl, httpsUrl, countText] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countText);
const tls = {
  cert: fs.readFileSync(path.join(dir, 'mpns-client.pem'), 'utf8'),
  key: fs.readFileSync(path.join(dir, 'mpns-client.key'), 'utf8'),
  ca: fs.readFileSync(path.join(dir, 'server-ca.pem'), 'utf8'),
};
const before = await simulatorStats(httpUrl);

await reportContender(async () => {
  let next = 0;
  let delivered = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const ok = await new Promise<boolean>((resolve) => {
        mpns.sendToast(`${httpsUrl}/unthrottledthirdparty/01.00/device-${i % BENCH_DEVICES}`, { ...BENCH_TOAST, ...tls }, (error, result) => resolve(!error && result?.statusCode === 200));
      });
      if (ok) delivered++;
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  const after = await simulatorStats(httpUrl);
  return { count: delivered, extra: { failed: count - delivered, 'TLS connections': after.connections.https - before.connections.https } };
});
