// 20,000 authenticated MPNS toasts (HTTPS with a TLS client certificate) to the MPNS
// simulator: certpush's MpnsSender against the npm `mpns` package, in one run. The simulator
// runs in a process of its own; each contender in its own, so CPU and peak RSS are its alone.
// Env: CERTPUSH_BENCH_MPNS_N (notifications, default 20000), CERTPUSH_BENCH_ROUNDS (default 3).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createTestPki, writeTestPki } from '../src/simulators/test-pki.ts';
import { runContender, runRounds } from './lib/contender.ts';
import { printTable } from './lib/table.ts';

const COUNT = Number(process.env.CERTPUSH_BENCH_MPNS_N ?? 20_000);
const ROUNDS = Number(process.env.CERTPUSH_BENCH_ROUNDS ?? 3);

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-bench-mpns-'));
  const here = import.meta.dirname;
  writeTestPki(dir, await createTestPki());
  const simulator = spawn(process.execPath, [path.join(here, 'mpns', 'simulator.ts')], { env: { ...process.env, MPNS_BENCH_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: simulator.stdout });
  try {
    const { httpUrl, httpsUrl } = await new Promise<{ httpUrl: string; httpsUrl: string }>((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line) as { httpUrl: string; httpsUrl: string }));
      simulator.once('exit', (code) => reject(new Error(`the MPNS simulator exited (${code}) before listening`)));
    });
    const args = [dir, httpUrl, httpsUrl, String(COUNT)];
    const rows = await runRounds(ROUNDS, [
      () => runContender('certpush MpnsSender, all submitted at once', path.join(here, 'mpns', 'certpush.ts'), [...args, 'burst']),
      () => runContender('certpush MpnsSender, 256 in flight', path.join(here, 'mpns', 'certpush.ts'), [...args, '256']),
      () => runContender('npm mpns 2.1.3 (32 in flight)', path.join(here, 'mpns', 'npm-mpns.ts'), args),
    ]);
    printTable(`MPNS: ${COUNT} authenticated toasts over HTTPS with a client certificate (median of ${ROUNDS} interleaved rounds)`, 'notification', rows, 'npm mpns 2.1.3 (32 in flight)');
  } finally {
    simulator.kill('SIGTERM');
    await new Promise((resolve) => simulator.once('exit', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
