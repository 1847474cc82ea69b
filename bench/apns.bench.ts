// APNs: N MDM pushes over mutual TLS to the simulator on loopback — certpush's ApnsClient vs
// @parse/node-apn, in the same run, plus h2load (a C HTTP/2 client) as the ceiling. h2load
// cannot present a client certificate, so it runs against a second simulator started without
// client auth (the table says so). Then one long certpush run for flat memory.
//
// Env: CERTPUSH_BENCH_APNS_N (default 100000), CERTPUSH_BENCH_APNS_ROUNDS (3),
//      CERTPUSH_BENCH_APNS_LONG_N (1000000; 0 skips the long run),
//      CERTPUSH_BENCH_APNS_NODE_APN_BATCH (100: node-apn's best setting found here; see below).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateRsaKey, privateKeyToPem } from '../src/pki/key.ts';
import { createTestPki, issueMdmPushCertificate, writeTestPki } from '../src/simulators/test-pki.ts';
import { type ContenderResult, runContender, runRounds } from './lib/contender.ts';
import { printTable } from './lib/table.ts';

const here = path.join(import.meta.dirname, 'apns');

interface RunningSimulator {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<Record<string, unknown>>;
}

function startSimulator(dir: string, noClientAuth: boolean): Promise<RunningSimulator> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'simulator.ts')], {
      env: { ...process.env, APNS_BENCH_DIR: dir, APNS_BENCH_NO_CLIENT_AUTH: noClientAuth ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let started = false;
    let onStats: ((stats: Record<string, unknown>) => void) | undefined;
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as { url?: string; port?: number };
        if (!started && parsed.url) {
          started = true;
          resolve({
            url: parsed.url,
            port: parsed.port!,
            child,
            stop: () => new Promise((done) => { onStats = done; child.kill('SIGTERM'); }),
          });
        } else if (started) {
          onStats?.(parsed as Record<string, unknown>);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => { if (!started) reject(new Error(`APNs simulator exited with ${code}`)); });
  });
}

/** h2load against the no-client-auth simulator; CPU and peak RSS of h2load via getrusage(RUSAGE_CHILDREN). */
function runH2load(url: string, n: number, dir: string, topic: string): ContenderResult | null {
  if (spawnSync('h2load', ['--version']).status !== 0) return null;
  const payload = path.join(dir, 'payload.json');
  fs.writeFileSync(payload, '{"mdm":"bench-push-magic"}');
  const args = ['h2load', '-n', String(n), '-c', '1', '-m', '1000', '-d', payload,
    '-H', `apns-topic: ${topic}`, '-H', 'apns-push-type: mdm', `${url}/3/device/${'0'.repeat(63)}1`];
  const script = 'import json,resource,subprocess,sys,time\nt=time.time();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);e=time.time()-t\nr=resource.getrusage(resource.RUSAGE_CHILDREN)\nprint(json.dumps({"out":p.stdout,"code":p.returncode,"wall":e,"cpu":r.ru_utime+r.ru_stime,"rss":r.ru_maxrss}))';
  const run = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (run.status !== 0) return null;
  const report = JSON.parse(run.stdout) as { out: string; code: number; wall: number; cpu: number; rss: number };
  const succeeded = Number(/(\d+) succeeded/.exec(report.out)?.[1] ?? 0);
  const finished = /finished in ([\d.]+)(m?s)/.exec(report.out);
  const elapsedMs = finished ? Number(finished[1]) * (finished[2] === 's' ? 1000 : 1) : report.wall * 1000;
  return { name: 'h2load (C, no client cert)', count: succeeded, elapsedMs, cpuUs: report.cpu * 1e6, maxRssBytes: report.rss * 1024, extra: { failed: n - succeeded } };
}

export async function run(): Promise<void> {
  const n = Number(process.env.CERTPUSH_BENCH_APNS_N ?? 100_000);
  const rounds = Number(process.env.CERTPUSH_BENCH_APNS_ROUNDS ?? 3);
  const longN = Number(process.env.CERTPUSH_BENCH_APNS_LONG_N ?? 1_000_000);
  const nodeApnBatch = Number(process.env.CERTPUSH_BENCH_APNS_NODE_APN_BATCH ?? 100);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-bench-apns-'));
  try {
    const pki = await createTestPki();
    writeTestPki(dir, pki);
    const key = generateRsaKey();
    // node-apn insists the certificate covers the sandbox environment for a custom address.
    const { cert, topic } = await issueMdmPushCertificate(pki, { publicKey: crypto.createPublicKey(key), environments: ['development', 'production'] });
    fs.writeFileSync(path.join(dir, 'push.pem'), cert + pki.pushCa.cert);
    fs.writeFileSync(path.join(dir, 'push.key'), privateKeyToPem(key), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'topic.txt'), topic);

    const sim = await startSimulator(dir, false);
    const env = { APNS_BENCH_DIR: dir, APNS_BENCH_URL: sim.url, APNS_BENCH_N: String(n) };
    let rows: ContenderResult[];
    try {
      rows = await runRounds(rounds, [
        () => runContender('certpush', path.join(here, 'certpush.ts'), [], env),
        () => runContender(`node-apn (send() per ${nodeApnBatch} tokens)`, path.join(here, 'node-apn.ts'), [], { ...env, APNS_BENCH_BATCH: String(nodeApnBatch) }),
      ]);
      // node-apn as its README shows it: one send() with every token. Once: it is slow and may fail.
      rows.push(await runContender('node-apn (one send() for all)', path.join(here, 'node-apn.ts'), [], { ...env, APNS_BENCH_BATCH: '0' }));
    } finally {
      await sim.stop();
    }

    const open = await startSimulator(dir, true);
    try {
      const h2load = runH2load(open.url, n, dir, topic);
      if (h2load) rows.push(h2load);
      else process.stdout.write('\n(h2load not installed: `apt-get install nghttp2-client` adds the C ceiling row)\n');
    } finally {
      await open.stop();
    }
    printTable(`APNs: ${n} MDM pushes over mTLS to the simulator on loopback (median of ${rounds} rounds; h2load without client certificate)`, 'notification', rows, `node-apn (send() per ${nodeApnBatch} tokens)`);

    if (longN > 0) {
      const long = await startSimulator(dir, false);
      try {
        const longEnv = { ...env, APNS_BENCH_URL: long.url, APNS_BENCH_N: String(longN) };
        const rows = [
          await runContender('certpush (Node defaults)', path.join(here, 'certpush.ts'), [], { ...longEnv, NODE_OPTIONS: '--expose-gc' }),
          // As `npm start` runs certpush: V8's young generation capped at 16 MB a semi-space.
          // At Node's defaults V8 grows it to 64 MB a semi-space (128 MB resident) under any
          // sustained allocation, whatever the live heap; measured here, the cap costs nothing.
          await runContender('certpush (--max-semi-space-size=16, as npm start)', path.join(here, 'certpush.ts'), [], { ...longEnv, NODE_OPTIONS: '--expose-gc --max-semi-space-size=16' }),
        ];
        printTable(`APNs: ${longN} MDM pushes through one certpush client (flat memory: target peak RSS < 150 MB)`, 'notification', rows);
      } finally {
        await long.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
