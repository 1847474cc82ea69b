// A process that used the client exits by itself after close(), even when the server sent
// GOAWAY with streams still open and never closes its side.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import path from 'node:path';
import { describe, test } from 'node:test';
import { TRANSPORT_NAMES } from '../../src/apns/transport/transport.ts';
import { testPki } from '../fixtures/pki.ts';
import { pushIdentity } from './fixtures.ts';
import { h2Server } from './h2-test-server.ts';

const CHILD = path.join(import.meta.dirname, 'close-exit-child.ts');

for (const transport of TRANSPORT_NAMES) describe(`over ${transport}`, () => {
  test('after GOAWAY with a stream left open, close() lets the process exit within a few seconds', async () => {
    const server = await h2Server((stream, ordinal, session) => {
      // GOAWAY that lets all three through; answer two; the third stays open, and the
      // server never closes the connection itself.
      if (ordinal === 1) session.goaway(http2.constants.NGHTTP2_NO_ERROR, 5);
      if (ordinal <= 2) stream.respond({ ':status': 200 }, { endStream: true });
    });
    const pki = await testPki();
    const id = await pushIdentity();
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, TRANSPORT: transport, ENDPOINT: server.url, CA: pki.serverCa.cert, CERT: id.cert, KEY: id.key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const started = Date.now();
    const code = await exited;
    clearTimeout(killer);
    assert.equal(code, 0, `the child did not exit by itself (killed after 15 s)\n${stderr}`);
    assert.deepEqual(JSON.parse(stdout), [['accepted', null], ['accepted', null], ['retry', 'Timeout']]);
    assert.ok(Date.now() - started < 15_000);
  });
});
