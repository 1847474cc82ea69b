// The APNs simulator in its own process for the service benchmark. Prints {"url"} when
// listening; answers IPC "count" with {count, lastAt} (the time of the last acceptance).
import { startApnsSimulator } from '../../src/simulators/apns.ts';
import { readTestPki } from '../../src/simulators/test-pki.ts';

const pki = readTestPki(process.argv[2]!);
const sim = await startApnsSimulator({ tls: pki.server, clientCa: [pki.appleRoot.cert, pki.pushCa.cert], logCapacity: 0 });
let lastAt = 0;
let seen = 0;
// The log keeps only a count; sample it often to know when the last push arrived.
setInterval(() => {
  if (sim.log.count !== seen) {
    seen = sim.log.count;
    lastAt = Date.now();
  }
}, 5).unref();
process.on('message', (message) => {
  if (message === 'count') process.send!({ count: sim.log.count, lastAt });
});
process.stdout.write(`${JSON.stringify({ url: sim.url })}\n`);
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
