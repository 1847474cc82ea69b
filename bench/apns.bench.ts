// APNs, three tables. First, against a server nobody here wrote and that is not the
// bottleneck (nghttpd, C): certpush's wire, the same client on the node:http2 transport,
// @parse/node-apn, Go's net/http client and h2load, side by side. Then N MDM pushes over mutual
// TLS to the simulator on loopback — certpush vs node-apn, plus h2load as the ceiling. h2load
// cannot present a client certificate, so it runs against a server without client
// authentication (the tables say so). Then one long certpush run for flat memory.
//
// Env: CERTPUSH_BENCH_APNS_N (default 100000), CERTPUSH_BENCH_APNS_ROUNDS (3),
//      CERTPUSH_BENCH_APNS_INDEPENDENT_N (default 50000; 0 skips the nghttpd table),
//      CERTPUSH_BENCH_APNS_LONG_N (1000000; 0 skips the long run),
//      CERTPUSH_BENCH_APNS_NODE_APN_BATCH (100: node-apn's best setting found here; see below).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateRsaKey, privateKeyToPem } from '../src/pki/key.ts';
import { createTestPki, issueMdmPushCertificate, writeTestPki } from '../src/simulators/test-pki.ts';
import { buildGoClient, runH2load, runProgram } from './apns/external.ts';
import { hasNghttpd, startNghttpd } from './apns/nghttpd.ts';
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

    const independentN = Number(process.env.CERTPUSH_BENCH_APNS_INDEPENDENT_N ?? 50_000);
    if (independentN > 0) await independentServerTable(dir, independentN, rounds, nodeApnBatch, topic);

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
      const h2load = runH2load('h2load (C, no client cert)', `${open.url}/3/device/${'0'.repeat(63)}1`, n, dir, topic);
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
          // At Node's defaults V8 grows the young generation to 64 MB a semi-space (128 MB
          // resident) under any sustained allocation, whatever the live heap. `certpush serve`
          // caps it at 8 MB, which suits the whole service (README: Design, "A service's
          // memory"); this client alone peaks higher at 8 than at 16 (137–141 against 111–114
          // MB, 2026-12-02), so both are measured.
          await runContender('certpush (--max-semi-space-size=16)', path.join(here, 'certpush.ts'), [], { ...longEnv, NODE_OPTIONS: '--expose-gc --max-semi-space-size=16' }),
          await runContender('certpush (--max-semi-space-size=8, as certpush serve)', path.join(here, 'certpush.ts'), [], { ...longEnv, NODE_OPTIONS: '--expose-gc --max-semi-space-size=8' }),
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

/** The client's transport option exists once the transport seam (src/apns/transport/) is in the tree. */
function hasNodeTransport(): boolean {
  return fs.existsSync(path.join(import.meta.dirname, '..', 'src', 'apns', 'transport'));
}

/**
 * certpush's wire, its node:http2 transport, node-apn, Go's net/http client and h2load against
 * nghttpd on loopback, one device token for all (nghttpd serves one file). The mTLS contenders
 * run against an nghttpd that asks for the client certificate; h2load against one that does not.
 */
async function independentServerTable(dir: string, n: number, rounds: number, nodeApnBatch: number, topic: string): Promise<void> {
  if (!hasNghttpd()) {
    process.stdout.write('\n(nghttpd not installed: `apt-get install nghttp2-server` adds the independent-server table)\n');
    return;
  }
  const token = 'b'.repeat(64);
  const mtls = await startNghttpd(path.join(dir, 'nghttpd-mtls'), token, true, dir);
  const rows: ContenderResult[] = [];
  const nodeApnName = `node-apn (send() per ${nodeApnBatch} tokens)`;
  try {
    const env = { APNS_BENCH_DIR: dir, APNS_BENCH_URL: mtls.url, APNS_BENCH_N: String(n), APNS_BENCH_TOKEN: token };
    const goClient = buildGoClient(dir);
    const contenders: Array<() => Promise<ContenderResult>> = [
      () => runContender('certpush (certpush wire)', path.join(here, 'certpush.ts'), [], { ...env, APNS_BENCH_TRANSPORT: 'certpush' }),
    ];
    if (hasNodeTransport()) contenders.push(() => runContender('certpush (node:http2 transport)', path.join(here, 'certpush.ts'), [], { ...env, APNS_BENCH_TRANSPORT: 'node' }));
    else process.stdout.write('\n(the node:http2 transport row needs the transport seam, src/apns/transport/, which is not in this tree)\n');
    contenders.push(() => runContender(nodeApnName, path.join(here, 'node-apn.ts'), [], { ...env, APNS_BENCH_BATCH: String(nodeApnBatch) }));
    if (goClient) {
      contenders.push(() => runProgram('Go net/http client (1000 streams)', goClient, ['-url', mtls.url, '-n', String(n), '-streams', '1000', '-token', token, '-topic', topic,
        '-cert', path.join(dir, 'push.pem'), '-key', path.join(dir, 'push.key'), '-ca', path.join(dir, 'server-ca.pem')]));
    } else {
      process.stdout.write('\n(go not installed: `apt-get install golang-go` adds the Go net/http client row)\n');
    }
    rows.push(...await runRounds(rounds, contenders));
  } finally {
    await mtls.stop();
  }
  const open = await startNghttpd(path.join(dir, 'nghttpd-open'), token, false, dir);
  try {
    const h2load = runH2load('h2load (C, no client cert)', `${open.url}/3/device/${token}`, n, dir, topic);
    if (h2load) rows.push(h2load);
  } finally {
    await open.stop();
  }
  // Ratios to each peer: throughput (×, higher is better) and CPU per notification (×, lower is better).
  const rate = (r: ContenderResult) => r.count / (r.elapsedMs / 1000);
  const cpu = (r: ContenderResult) => r.cpuUs / Math.max(1, r.count);
  const peers = [
    ['node-apn', rows.find((r) => r.name === nodeApnName)],
    ['Go', rows.find((r) => r.name.startsWith('Go '))],
    ['h2load', rows.find((r) => r.name.startsWith('h2load'))],
  ] as const;
  for (const row of rows) {
    for (const [label, peer] of peers) {
      if (!peer || peer === row || peer.count === 0) continue;
      row.extra = { ...row.extra, [`vs ${label}`]: `${(rate(row) / rate(peer)).toFixed(2)}×`, [`CPU vs ${label}`]: `${(cpu(row) / cpu(peer)).toFixed(2)}×` };
    }
  }
  printTable(`APNs: ${n} MDM pushes to nghttpd (C, an independent server) on loopback, mTLS (median of ${rounds} rounds; h2load without client certificate)`, 'notification', rows);
}
