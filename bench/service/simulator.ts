// The APNs simulator in its own process for the service benchmarks. Prints {"url"} when
// listening; answers IPC "count" with {type: "count", count, lastAt} (the time of the last
// acceptance). With the argument "arrivals" it also reports each push as it arrives,
// {type: "arrival", token, at}, timestamped here, independently of certpush; with "watch" only
// the pushes to tokens named in an IPC {type: "watch", token} (under a fan-out, reporting every
// arrival would cost the driver's process a message per push).
import { startApnsSimulator } from '../../src/simulators/apns.ts';
import { readTestPki } from '../../src/simulators/test-pki.ts';

const pki = readTestPki(process.argv[2]!);
const arrivals = process.argv[3] === 'arrivals' || process.argv[3] === 'watch';
const watched = process.argv[3] === 'watch' ? new Set<string>() : null;
const sim = await startApnsSimulator({ tls: pki.server, clientCa: [pki.appleRoot.cert, pki.pushCa.cert], logCapacity: arrivals ? 4000 : 0 });
let lastAt = 0;
let seen = 0;
// The log keeps only a count (or, with arrivals, the latest entries); sample it often.
setInterval(() => {
  if (sim.log.count === seen) return;
  if (arrivals) {
    const fresh = sim.log.entries().slice(-(sim.log.count - seen));
    for (const d of fresh) {
      const token = d.token.toLowerCase();
      if (!watched || watched.has(token)) process.send!({ type: 'arrival', token, at: d.receivedAt });
    }
  }
  seen = sim.log.count;
  lastAt = Date.now();
}, arrivals ? 1 : 5).unref();
process.on('message', (message: 'count' | { type: 'watch'; token: string }) => {
  if (message === 'count') process.send!({ type: 'count', count: sim.log.count, lastAt });
  else if (message.type === 'watch') watched?.add(message.token.toLowerCase());
});
process.stdout.write(`${JSON.stringify({ url: sim.url })}\n`);
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
