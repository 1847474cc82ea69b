// What `certpush serve` writes for its operator: one line per request (probes only at debug),
// no Node warnings, and on a later start a word on how to get an operator key.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { atEnd, tempDir } from '../fixtures/pki.ts';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'certpush.js');

interface Run {
  url: string;
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<void>;
}

async function serve(dataDir: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, CERTPUSH_DATA_DIR: dataDir, CERTPUSH_PORT: '0', CERTPUSH_HOST: '127.0.0.1' };
  delete env.CERTPUSH_LOG_LEVEL;
  delete env.CERTPUSH_OPERATOR_KEY;
  const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  atEnd(async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await exited; } });
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      // The whole banner: the listening line, then the key (first start) or the hint (later).
      const m = /listening on (\S+)[\s\S]*(?:Set CERTPUSH_OPERATOR_KEY|as an operator key)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}):\n${stderr}`)));
  });
  return { url, stdout: () => stdout, stderr: () => stderr, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

describe('certpush serve output', () => {
  it('logs one line per request at info, health probes not at all, and no Node warning on the first console request', async () => {
    const run = await serve(tempDir('certpush-data-'));
    for (let i = 0; i < 5; i++) await (await fetch(`${run.url}/healthz`)).text();
    await (await fetch(`${run.url}/readyz`)).text();
    assert.equal((await fetch(`${run.url}/console/app.ts`)).status, 200);
    assert.equal((await fetch(`${run.url}/v1/whoami?secret=x`)).status, 401);
    await run.stop();
    const lines = run.stdout().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === 'request');
    assert.deepEqual(requests.map((l) => [l.method, l.path, l.status]), [['GET', '/console/app.ts', 200], ['GET', '/v1/whoami', 401]]);
    assert.ok(!run.stdout().includes('secret=x'), 'query strings are never logged');
    assert.ok(!run.stdout().includes('incoming request'), 'no Fastify per-request pair of lines');
    assert.doesNotMatch(run.stderr(), /ExperimentalWarning|stripTypeScriptTypes/);
  });

  it('a later start on the same data says how to get an operator key, since it is shown only once', async () => {
    const dataDir = tempDir('certpush-data-');
    const first = await serve(dataDir);
    assert.match(first.stderr(), /Operator API key \(shown once; store it now\):\s+cpk_/);
    await first.stop();
    const second = await serve(dataDir);
    await second.stop();
    assert.doesNotMatch(second.stderr(), /cpk_/);
    assert.match(second.stderr(), /operator key: the one printed at this database's first start\. Lost it\? Start once with CERTPUSH_OPERATOR_KEY=/);
  });
});
