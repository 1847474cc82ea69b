// Contenders that are not Node scripts: Go's net/http client (built here from go-client.go with
// the standard library only) and h2load. Each reports its own CPU and peak RSS.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ContenderResult } from '../lib/contender.ts';

/** Build go-client.go into `dir`; null when Go is not installed. Caches stay inside `dir`. */
export function buildGoClient(dir: string): string | null {
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) return null;
  const out = path.join(dir, 'go-client');
  const build = spawnSync('go', ['build', '-o', out, path.join(import.meta.dirname, 'go-client.go')], {
    env: { ...process.env, GOCACHE: path.join(dir, 'go-cache'), GOPATH: path.join(dir, 'go-path'), GO111MODULE: 'off', GOFLAGS: '', GOPROXY: 'off' },
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`go build go-client.go failed:\n${build.stderr}`);
  return out;
}

/** Run a program that prints the contender report line itself (as go-client.go does). */
export function runProgram(name: string, command: string, args: string[]): Promise<ContenderResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${name} exited with ${code}: ${stdout.slice(-300)}`));
      const report = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<ContenderResult, 'name'>;
      resolve({ name, ...report });
    });
  });
}

/**
 * h2load (C) posting the MDM payload `n` times to `target`, 1 connection and 1000 streams;
 * its CPU and peak RSS via getrusage(RUSAGE_CHILDREN) in a small Python wrapper. Null when
 * h2load is not installed or fails.
 */
export function runH2load(name: string, target: string, n: number, dir: string, topic: string): ContenderResult | null {
  if (spawnSync('h2load', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  const payload = path.join(dir, 'payload.json');
  fs.writeFileSync(payload, '{"mdm":"bench-push-magic"}');
  const args = ['h2load', '-n', String(n), '-c', '1', '-m', '1000', '-d', payload, '-H', `apns-topic: ${topic}`, '-H', 'apns-push-type: mdm', target];
  const script = 'import json,resource,subprocess,sys,time\nt=time.time();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);e=time.time()-t\nr=resource.getrusage(resource.RUSAGE_CHILDREN)\nprint(json.dumps({"out":p.stdout,"code":p.returncode,"wall":e,"cpu":r.ru_utime+r.ru_stime,"rss":r.ru_maxrss}))';
  const run = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (run.status !== 0) return null;
  const report = JSON.parse(run.stdout) as { out: string; code: number; wall: number; cpu: number; rss: number };
  const succeeded = Number(/(\d+) succeeded/.exec(report.out)?.[1] ?? 0);
  const finished = /finished in ([\d.]+)(m?s)/.exec(report.out);
  const elapsedMs = finished ? Number(finished[1]) * (finished[2] === 's' ? 1000 : 1) : report.wall * 1000;
  return { name, count: succeeded, elapsedMs, cpuUs: report.cpu * 1e6, maxRssBytes: report.rss * 1024, extra: { failed: n - succeeded } };
}
