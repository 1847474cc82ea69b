// certpush's processes do not load undici (Node's fetch) through node:http's lazy WebSocket
// exports: see src/node-http.ts. A child process, so that this test's own imports do not count.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

const loadsUndici = (module: string): boolean => {
  const script = `await import(${JSON.stringify(new URL(module, import.meta.url).href)}); console.log(process.moduleLoadList.some((m) => m.includes('undici')));`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim() === 'true';
};

test('an ES module import of node:http loads undici, which is why certpush goes through require()', () => {
  assert.equal(loadsUndici('node:http'), true);
});

test('the CLI, with every command a service runs, loads no undici', () => {
  assert.equal(loadsUndici('../src/cli/main.ts'), false);
  assert.equal(loadsUndici('../src/index.ts'), false);
});
