// bin/certpush.js starts `serve` with the V8 heap settings of a small service (README: Design,
// "A service's memory"): it replaces itself (same pid) with the flags set, unless the caller
// gave them. Semi-spaces are 8 MB on either database.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { freshPostgresDatabase, postgresReachable } from '../fixtures/backends.ts';
import { atEnd, tempDir } from '../fixtures/pki.ts';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'certpush.js');
const linux = process.platform === 'linux';
const postgres = linux && (await postgresReachable());

/** Start `certpush serve` with these node flags and variables; resolves once it listens. */
async function serve(nodeFlags: string[], env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeFlags, BIN, 'serve'], {
    env: { ...process.env, CERTPUSH_HOST: '127.0.0.1', CERTPUSH_PORT: '0', CERTPUSH_DATA_DIR: tempDir('certpush-memory-'), CERTPUSH_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  atEnd(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (/certpush listening on/.test(stderr)) resolve();
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}):\n${stderr}`)));
  });
  return child;
}

/** The command line the process runs with now (after any re-exec). */
function running(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

describe('serve memory settings', { skip: !linux && 'reads /proc' }, () => {
  it('serve on SQLite runs with the V8 heap flags, in the process that was started', async () => {
    const child = await serve([], {});
    const argv = running(child.pid!);
    assert.ok(argv.includes('--max-semi-space-size=8'), argv.join(' '));
    assert.ok(argv.includes('--heap-growing-percent=30'), argv.join(' '));
    assert.equal(argv.filter((a) => a.startsWith('--max-semi-space-size')).length, 1, argv.join(' '));
    assert.equal(argv.at(-1), 'serve');
  });

  it('serve on PostgreSQL runs with the same flags', { skip: !postgres && 'PostgreSQL unreachable' }, async () => {
    const child = await serve([], { CERTPUSH_DATABASE_URL: await freshPostgresDatabase(), CERTPUSH_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
    const argv = running(child.pid!);
    assert.ok(argv.includes('--max-semi-space-size=8'), argv.join(' '));
    assert.ok(argv.includes('--heap-growing-percent=30'), argv.join(' '));
  });

  it("the caller's flags win, on the command line or in NODE_OPTIONS", async () => {
    const child = await serve(['--heap-growing-percent=50'], { NODE_OPTIONS: '--max-semi-space-size=16' });
    const argv = running(child.pid!);
    assert.ok(argv.includes('--heap-growing-percent=50'), argv.join(' '));
    assert.ok(!argv.includes('--heap-growing-percent=30'), argv.join(' '));
    assert.ok(!argv.some((a) => a.startsWith('--max-semi-space-size')), argv.join(' '));
  });
});
