// The interop harness: certpush's ApnsClient, in a child process of its own, against HTTP/2
// servers nobody here wrote (nghttpd, a python-h2 server, Go's net/http). Each case checks that
// every notification gets exactly one outcome of the expected class, that nothing hangs, and
// that the process exits by itself after close().
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { TestPki } from '../../../src/simulators/test-pki.ts';
import { atEnd, testPki } from '../../fixtures/pki.ts';
import { type PushIdentity, pushIdentity } from '../fixtures.ts';

const CHILD = path.join(import.meta.dirname, 'send-child.ts');

/** Outcomes of one phase, counted. */
export interface OutcomeTally {
  /** Per outcome class. */
  classes: Record<string, number>;
  /** Per "status reason" ("accepted" for 200). */
  reasons: Record<string, number>;
  /** Outcomes per device token: every value must be exactly 1. */
  byToken: Record<string, number>;
  /** The first few failure details, for the assertion message. */
  details: string[];
}

export interface ChildReport {
  tally: { warmup: OutcomeTally; main: OutcomeTally };
  stats: Record<string, number>;
}

/** What send-child.ts does (passed as JSON in INTEROP_CONFIG). */
export interface ChildConfig {
  endpoint: string;
  ca: string;
  cert: string;
  key: string;
  topic?: string;
  /** The client's `transport` option (the transport seam); omitted: the client's default. */
  transport?: string;
  /** Further ApnsClient options (requestTimeoutMs, maxConcurrentStreams, …). */
  options?: Record<string, unknown>;
  /** Notifications sent one at a time and awaited before the burst. */
  warmup?: number;
  /** Notifications in the burst (sendAll). */
  count: number;
  /** Number of the first device token (tokens are this, +1, … as 64 hex digits). */
  firstToken: number;
  /** Bytes of JSON payload; default a short MDM payload. */
  payloadBytes?: number;
  /** The child gives up (prints what it has, exits 3) after this. */
  deadlineMs: number;
}

export interface ChildResult {
  report: ChildReport;
  /** ms from close() resolving to the process exiting. */
  exitAfterCloseMs: number;
  stderr: string;
}

/** How long a child may take to exit after close() resolved before the case fails. */
const EXIT_GRACE_MS = 5_000;

/** The transports the cases run on: certpush's wire, and node:http2 once the seam is in the tree. */
export function transports(): Array<{ name: string; skip: string | false }> {
  const seam = fs.existsSync(path.join(import.meta.dirname, '..', '..', '..', 'src', 'apns', 'transport'));
  return [
    { name: 'certpush', skip: false },
    { name: 'node', skip: seam ? false : 'the transport seam (src/apns/transport/, option transport: \'node\') is not in this tree yet' },
  ];
}

/** Device token i as send-child.ts makes it. */
export function tokenOf(i: number): string {
  return i.toString(16).padStart(64, '0');
}

export interface Credentials {
  pki: TestPki;
  identity: PushIdentity;
}

export async function credentials(): Promise<Credentials> {
  return { pki: await testPki(), identity: await pushIdentity() };
}

/**
 * Run the client in a child process against `endpoint`. Rejects when the child hangs (no
 * report within `deadlineMs`), crashes, or does not exit within 5 s of close() resolving.
 */
export async function runClient(creds: Credentials, config: Omit<ChildConfig, 'ca' | 'cert' | 'key' | 'deadlineMs' | 'firstToken'> & Partial<ChildConfig>): Promise<ChildResult> {
  const full: ChildConfig = {
    ca: creds.pki.serverCa.cert,
    cert: creds.identity.cert,
    key: creds.identity.key,
    deadlineMs: 60_000,
    firstToken: 0,
    ...config,
  };
  const child = spawn(process.execPath, [CHILD], { env: { ...process.env, INTEROP_CONFIG: JSON.stringify(full) }, stdio: ['ignore', 'pipe', 'pipe'] });
  killAtEnd(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  let report: ChildReport | undefined;
  let closedAt = 0;
  let hung: unknown;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop() ?? '';
    for (const line of lines) {
      const parsed = JSON.parse(line) as { report?: ChildReport; closed?: boolean; hung?: unknown };
      if (parsed.report) report = parsed.report;
      if (parsed.closed) closedAt = performance.now();
      if (parsed.hung) hung = parsed;
    }
  });
  const exit = await new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => {
    const stuck = setInterval(() => {
      if (closedAt > 0 && performance.now() - closedAt > EXIT_GRACE_MS) child.kill('SIGKILL');
    }, 200);
    // The child's own watchdog should fire first; this one catches a child that ignores it.
    const outer = setTimeout(() => child.kill('SIGKILL'), full.deadlineMs + 10_000);
    child.on('exit', (code, signal) => {
      clearInterval(stuck);
      clearTimeout(outer);
      resolve({ code, signal, at: performance.now() });
    });
  });
  if (hung) assert.fail(`the client hung: not every notification had an outcome within ${full.deadlineMs} ms: ${JSON.stringify(hung)}\n${stderr.slice(-2000)}`);
  assert.ok(report, `the client process ended (${exit.code ?? exit.signal}) without a report:\n${stderr.slice(-2000)}`);
  assert.ok(closedAt > 0, `close() did not resolve (the process ended with ${exit.code ?? exit.signal}):\n${stderr.slice(-2000)}`);
  assert.equal(exit.signal, null, `the process did not exit by itself within ${EXIT_GRACE_MS} ms after close() resolved: something (a socket, a timer) was left open`);
  assert.equal(exit.code, 0, `the client process exited with ${exit.code}:\n${stderr.slice(-2000)}`);
  return { report, exitAfterCloseMs: exit.at - closedAt, stderr };
}

/**
 * Check a phase: the outcome classes are exactly `expected` (omitted classes: 0), and every
 * one of the `count` tokens got exactly one outcome.
 */
export function assertOutcomes(tally: OutcomeTally, expected: Record<string, number>, count: number): void {
  const classes = Object.fromEntries(Object.entries(tally.classes).filter(([, n]) => n > 0));
  assert.deepEqual(classes, expected, `outcome classes ${JSON.stringify(tally.reasons)}; details: ${tally.details.join(' | ')}`);
  const tokens = Object.values(tally.byToken);
  assert.equal(tokens.length, count, 'every notification has an outcome');
  assert.ok(tokens.every((n) => n === 1), 'no notification has two outcomes');
}

/**
 * Whether an outside program is here. Missing: a skip reason outside CI; in CI (CI=true, where
 * .ci/run installs it) an error, so the interop cases never silently stop running.
 */
export function requireTool(command: string, args: string[], debianPackage: string): string | false {
  const ok = spawnSync(command, args, { stdio: 'ignore' }).status === 0;
  if (ok) return false;
  const message = `${command} is not installed (Debian package ${debianPackage}; .ci/run installs it)`;
  if (process.env.CI === 'true') throw new Error(`${message}: required in CI.`);
  return message;
}

/** A free loopback TCP port (for servers that cannot be told to pick one and report it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once 127.0.0.1:port accepts TCP connections. */
export async function waitForPort(port: number, child: ChildProcess, stderr: () => string, timeoutMs = 20_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before listening:\n${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > until) throw new Error(`the server did not listen on ${port} within ${timeoutMs} ms:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A server child process: stopped (by its PID) at the end of the test file if still running. */
export interface ServerProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the server's last stdout line parsed as JSON (its counters). */
  stop(): Promise<Record<string, unknown>>;
}

export function spawnServer(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ServerProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  killAtEnd(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); if (err.length > 100_000) err = err.slice(-50_000); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        return JSON.parse(last) as Record<string, unknown>;
      } catch {
        return {};
      }
    },
  };
}

function killAtEnd(child: ChildProcess): void {
  atEnd(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  });
}

/**
 * The port a test server printed as `{"port": N}` on its first line (the python-h2 and Go
 * servers listen on port 0 and say where); rejects if the server exits first.
 */
export function printedPort(server: ServerProcess, name: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /\{"port": (\d+)\}/.exec(server.stdout());
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1]));
      } else if (server.child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`${name} exited (${server.child.exitCode}):\n${server.stderr()}`));
      }
    }, 20);
  });
}
