// The APNs simulator in its own process, so its CPU does not count against the contenders.
// Prints one JSON line {"url": …} when listening; on SIGTERM prints its stats and exits.
// Env: APNS_BENCH_DIR (test PKI written by apns.bench.ts), APNS_BENCH_NO_CLIENT_AUTH=1 (for h2load).
import { startApnsSimulator } from '../../src/simulators/apns.ts';
import { readTestPki } from '../../src/simulators/test-pki.ts';

const dir = process.env.APNS_BENCH_DIR!;
const pki = readTestPki(dir);
const noClientAuth = process.env.APNS_BENCH_NO_CLIENT_AUTH === '1';
const sim = await startApnsSimulator({
  tls: pki.server,
  clientCa: [pki.appleRoot.cert, pki.pushCa.cert],
  clientAuth: !noClientAuth,
  // Keep only the count: a million log entries would measure the simulator's memory, not delivery.
  logCapacity: 0,
});
process.stdout.write(`${JSON.stringify({ url: sim.url, port: sim.port })}\n`);
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify(sim.stats())}\n`);
  void sim.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
