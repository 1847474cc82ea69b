import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MpnsSender } from '../../src/mpns/sender.ts';
import { type TestPki, writeTestPki } from '../../src/simulators/test-pki.ts';
import { certpushBin, nodeBin, runCertpush } from '../mpns/cli-runner.ts';
import { testPki } from '../mpns/simulator-fixture.ts';

let pki: TestPki;
let dir: string;

before(async () => {
  pki = await testPki();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-simulate-mpns-'));
  writeTestPki(dir, pki);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('certpush simulate mpns', () => {
  it('serves HTTP and HTTPS channels until stopped, then exits 0', async () => {
    const child = spawn(nodeBin, [certpushBin, 'simulate', 'mpns', '--port', '0', '--tls-port', '0', '--pki', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const urls = await new Promise<{ http: string; https: string }>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const http = /^http: +(\S+)/m.exec(output);
        const https = /^https: +(\S+)/m.exec(output);
        if (http && https) resolve({ http: http[1]!, https: https[1]! });
      });
      void exited.then((code) => reject(new Error(`simulator exited (${code}) before it was ready: ${output}`)));
    });
    const sender = new MpnsSender({
      credential: { cert: pki.mpnsClient.cert, key: pki.mpnsClient.key },
      ca: pki.serverCa.cert,
      allowHosts: [new URL(urls.http).host, new URL(urls.https).host],
    });
    try {
      const toast = { type: 'toast', text1: 'Hello' } as const;
      assert.equal((await sender.send(`${urls.http}/throttledthirdparty/01.00/phone`, toast)).outcome, 'delivered');
      assert.equal((await sender.send(`${urls.https}/unthrottledthirdparty/01.00/phone`, toast)).outcome, 'delivered');
    } finally {
      sender.close();
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('refuses --tls-port without --pki', async () => {
    const run = await runCertpush(['simulate', 'mpns', '--tls-port', '0']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--tls-port needs --pki DIR.*\[CLI_MPNS_SIMULATOR_PKI\]/);
  });
});
