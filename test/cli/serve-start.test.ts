import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { atEnd, tempDir } from '../fixtures/pki.ts';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'certpush.js');

/** A port something else already listens on (loopback). */
async function busyPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  atEnd(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

/** Run certpush; a process still running after `limitMs` is killed and reported as 'hung'. */
function run(args: string[], env: Record<string, string>, limitMs = 30_000): Promise<{ code: number | 'hung'; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: hung ? 'hung' : (code ?? -1), stdout, stderr });
    });
  });
}

describe('starting on a busy port', () => {
  it('serve prints one line naming the port and how to choose another, and exits 1', async () => {
    const port = await busyPort();
    const r = await run(['serve'], { CERTPUSH_HOST: '127.0.0.1', CERTPUSH_PORT: String(port), CERTPUSH_DATA_DIR: tempDir('certpush-busy-'), CERTPUSH_LOG_LEVEL: 'warn' });
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line:\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^certpush: Port ${port} on 127\\.0\\.0\\.1 is already in use.*--port.*\\[PORT_IN_USE\\]\\n$`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('demo prints the same one line after its simulators start, and exits 1', async () => {
    const port = await busyPort();
    const r = await run(['demo', '--port', String(port), '--devices', '1'], {});
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, new RegExp(`^certpush: Port ${port} on 127\\.0\\.0\\.1 is already in use.*\\[PORT_IN_USE\\]\\n$`));
  });
});
