import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What one contender's child process measured about itself. */
export interface ContenderResult {
  name: string;
  /** Units of work done (notifications, signatures, …). */
  count: number;
  /** Wall time of the measured section, milliseconds. */
  elapsedMs: number;
  /** User + system CPU of the whole child process, microseconds. */
  cpuUs: number;
  /** Peak resident set size of the whole child process, bytes. */
  maxRssBytes: number;
  /** Anything else the contender wants in the table (e.g. failures). */
  extra?: Record<string, string | number>;
}

/**
 * Run a contender in its own Node process so CPU and peak RSS are its alone. The script
 * prints one JSON line `{"count":…, "elapsedMs":…, "extra":{…}}` last on stdout; CPU and
 * RSS come from the kernel's accounting of the child (getrusage via resourceUsage).
 *
 * Every contender runs with Node's compile cache, as `bin/certpush.js` runs certpush: stripped
 * TypeScript and compiled code are reused from the previous run, so startup (counted in CPU and
 * RSS) is not the TypeScript stripper's. The peers' JavaScript gets the same code cache.
 */
export function runContender(name: string, script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ContenderResult> {
  return new Promise((resolve, reject) => {
    const compileCache = process.env.NODE_COMPILE_CACHE ?? path.join(os.tmpdir(), 'node-compile-cache');
    const child = spawn(process.execPath, [script, ...args], { env: { NODE_COMPILE_CACHE: compileCache, ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${name} exited with ${code}: ${stdout.slice(-500)}`));
      try {
        const report = JSON.parse(last) as { count: number; elapsedMs: number; cpuUs: number; maxRssBytes: number; extra?: Record<string, string | number> };
        resolve({ name, ...report });
      } catch {
        reject(new Error(`${name} did not print a JSON report line; it printed: ${last.slice(0, 300)}`));
      }
    });
  });
}

/**
 * Inside a contender: time `work`, then print the report line the parent reads.
 * CPU and RSS are read from this process after the work (they cover its whole life).
 */
export async function reportContender(work: () => Promise<{ count: number; extra?: Record<string, string | number> }>): Promise<void> {
  const start = performance.now();
  const { count, extra } = await work();
  const elapsedMs = performance.now() - start;
  const usage = process.resourceUsage();
  const cpuUs = usage.userCPUTime + usage.systemCPUTime + childrenCpuUs();
  const report = { count, elapsedMs, cpuUs, maxRssBytes: usage.maxRSS * 1024, extra };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/**
 * CPU time of this process's waited-for children (Linux: cutime + cstime in /proc/self/stat),
 * so a contender that shells out (openssl per CSR) is charged for its children too.
 */
function childrenCpuUs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3; cutime and cstime are fields 16 and 17.
    const ticks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
    return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Run every contender `rounds` times, interleaved (A B A B …) so machine noise hits all
 * alike, and keep for each the run with the median throughput.
 */
export async function runRounds(rounds: number, contenders: Array<() => Promise<ContenderResult>>): Promise<ContenderResult[]> {
  const runs: ContenderResult[][] = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, run] of contenders.entries()) runs[i]!.push(await run());
  }
  return runs.map((results) => {
    const byRate = [...results].sort((a, b) => a.count / a.elapsedMs - b.count / b.elapsedMs);
    return byRate[Math.floor(byRate.length / 2)]!;
  });
}
