// Stopping `npx certpush …` or `npm run certpush …` stops certpush: the README backgrounds the
// simulators with `&`, and `kill $!` then signals npm, not node.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { atEnd } from '../fixtures/pki.ts';
import { REPO, userProject } from '../fixtures/user-project.ts';

/** Start a long-running certpush through npm and resolve with the port it printed. */
function startThroughNpm(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before printing its URL:\n${out}\n${err}`)));
  });
}

/**
 * Every process below `pid`, noted before npm is stopped: if certpush is left running (the bug
 * this file is about), the test still ends, and kills them, instead of hanging on their pipes.
 */
function reapDescendantsAtEnd(pid: number): void {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length > 0;) {
    frontier = table.filter(([, ppid]) => frontier.includes(ppid!)).map(([child]) => child!);
    found.push(...frontier);
  }
  atEnd(() => {
    for (const p of found) {
      try { process.kill(p, 'SIGKILL'); } catch { /* already gone, as it should be */ }
    }
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function closesWithin(port: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await accepts(port))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('signals through npm', () => {
  it('kill <pid of npx> stops the certpush it started (the simulator stops listening)', async () => {
    const project = userProject();
    assert.equal((await runCli(['simulate', 'pki', '--out', 'pki'], { cwd: project.dir })).code, 0);
    const npx = spawn('npx', ['certpush', 'simulate', 'apns', '--pki', 'pki', '--port', '0'], { cwd: project.dir, env: project.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await startThroughNpm(npx);
    assert.ok(await accepts(port));
    reapDescendantsAtEnd(npx.pid!);
    npx.kill('SIGTERM');
    assert.ok(await closesWithin(port, 10_000), `port ${port} still open 10 s after npx was stopped: certpush was left running`);
  });

  it('kill <pid of npm run> stops the certpush it started', async () => {
    const project = userProject();
    assert.equal((await runCli(['simulate', 'pki', '--out', 'pki'], { cwd: project.dir })).code, 0);
    const npm = spawn('npm', ['run', '--silent', 'certpush', '--', 'simulate', 'apns', '--pki', `${project.dir}/pki`, '--port', '0'], { cwd: REPO, env: project.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await startThroughNpm(npm);
    reapDescendantsAtEnd(npm.pid!);
    npm.kill('SIGTERM');
    assert.ok(await closesWithin(port, 10_000), `port ${port} still open 10 s after npm was stopped`);
  });
});
