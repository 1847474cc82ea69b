// The MPNS simulator in its own process, so its CPU does not count against the contenders.
// Prints one JSON line {"httpUrl", "httpsUrl"} when listening; on SIGTERM prints its stats
// and exits. Env: MPNS_BENCH_DIR (the test PKI written by mpns.bench.ts).
import { mpnsSimulatorTls, startMpnsSimulator } from '../../src/simulators/mpns.ts';
import { readTestPki } from '../../src/simulators/test-pki.ts';

const pki = readTestPki(process.env.MPNS_BENCH_DIR!);
// keep: 0 — record nothing; 20,000 stored notifications would measure the simulator's memory.
const sim = await startMpnsSimulator({ tls: mpnsSimulatorTls(pki), keep: 0 });
process.stdout.write(`${JSON.stringify({ httpUrl: sim.httpUrl, httpsUrl: sim.httpsUrl })}\n`);
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify(sim.stats)}\n`);
  void sim.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
