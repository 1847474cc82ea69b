// Contender: certpush's MpnsSender sends N authenticated toasts (HTTPS, client certificate)
// to the simulator over its keep-alive pool. Two ways to drive it: `burst` submits all N at
// once (the sender's own concurrency bound queues them); a number keeps that many sends in
// flight, as a delivery worker claiming batches does.
// Args: PKI dir, simulator HTTP URL, simulator HTTPS URL, N, burst | in-flight count.
import fs from 'node:fs';
import path from 'node:path';
import { MpnsSender } from '../../src/mpns/sender.ts';
import { reportContender } from '../lib/contender.ts';
import { BENCH_DEVICES, BENCH_TOAST, simulatorStats } from './toast.ts';

const [dir, httpUrl, httpsUrl, countText, mode] = process.argv.slice(2) as [string, string, string, string, string];
const count = Number(countText);
const sender = new MpnsSender({
  credential: { cert: fs.readFileSync(path.join(dir, 'mpns-client.pem')), key: fs.readFileSync(path.join(dir, 'mpns-client.key')) },
  ca: fs.readFileSync(path.join(dir, 'server-ca.pem'), 'utf8'),
  allowHosts: [new URL(httpsUrl).host],
});
const send = (i: number) => sender.send(`${httpsUrl}/unthrottledthirdparty/01.00/device-${i % BENCH_DEVICES}`, { type: 'toast', ...BENCH_TOAST });
const before = await simulatorStats(httpUrl);

await reportContender(async () => {
  let delivered = 0;
  if (mode === 'burst') {
    delivered = (await Promise.all(Array.from({ length: count }, (_, i) => send(i)))).filter((r) => r.outcome === 'delivered').length;
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: Number(mode) }, async () => {
      while (next < count) if ((await send(next++)).outcome === 'delivered') delivered++;
    }));
  }
  const after = await simulatorStats(httpUrl);
  sender.close();
  return { count: delivered, extra: { failed: count - delivered, 'TLS connections': after.connections.https - before.connections.https } };
});
