// The client against Go's net/http HTTP/2 server (server.go, standard library only, built at
// test time with Debian's golang-go): client certificates required and verified, Shutdown()
// mid-burst, stream resets from a handler panic, a refused client certificate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { generateRsaKey, privateKeyToPem } from '../../../src/pki/key.ts';
import { createTestPki, issueMdmPushCertificate } from '../../../src/simulators/test-pki.ts';
import { tempDir, writeFiles } from '../../fixtures/pki.ts';
import { assertOutcomes, credentials, printedPort, requireTool, runClient, spawnServer, transports } from './harness.ts';

const missing = requireTool('go', ['version'], 'golang-go');

interface GoStats {
  handshakes: number;
  requests: number;
  answered: number;
  duplicates: number;
  resets: number;
  shutdowns: number;
}

let binary: string | undefined;

/** Build server.go once per test file, with Go's caches in a temporary directory (no downloads). */
function goServerBinary(): string {
  if (binary) return binary;
  const dir = tempDir('certpush-go-');
  const out = path.join(dir, 'apns-server');
  const build = spawnSync('go', ['build', '-o', out, path.join(import.meta.dirname, 'server.go')], {
    env: { ...process.env, GOCACHE: path.join(dir, 'cache'), GOPATH: path.join(dir, 'gopath'), GO111MODULE: 'off', GOFLAGS: '', GOPROXY: 'off' },
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`go build server.go failed:\n${build.stderr}`);
  binary = out;
  return out;
}

async function goServer(mode: string): Promise<{ url: string; stop: () => Promise<GoStats> }> {
  const { pki } = await credentials();
  const files = writeFiles(tempDir('certpush-go-pki-'), { 'server.pem': pki.server.cert, 'server.key': pki.server.key, 'client-ca.pem': pki.appleRoot.cert + pki.pushCa.cert });
  const server = spawnServer(goServerBinary(), ['-mode', mode, '-cert', files['server.pem']!, '-key', files['server.key']!, '-clientca', files['client-ca.pem']!]);
  const port = await printedPort(server, 'the Go server');
  return { url: `https://127.0.0.1:${port}`, stop: async () => (await server.stop()) as unknown as GoStats };
}

for (const transport of transports()) {
  const skip = missing || transport.skip;
  const t = transport.name;

  test(`[${t}] Go net/http verifying the client certificate: 300 notifications accepted, each once`, { skip }, async () => {
    const creds = await credentials();
    const server = await goServer('ok');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 300, topic: creds.identity.topic });
    const stats = await server.stop();
    assertOutcomes(report.tally.main, { accepted: 300 }, 300);
    assert.equal(stats.duplicates, 0);
    assert.equal(stats.handshakes, 1);
  });

  test(`[${t}] Go net/http resetting streams from a handler panic: those 75 are retries but not ConnectionLost, the other 225 accepted`, { skip }, async () => {
    const creds = await credentials();
    const server = await goServer('reset');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 300, topic: creds.identity.topic });
    const stats = await server.stop();
    assertOutcomes(report.tally.main, { accepted: 225, retry: 75 }, 300);
    assert.equal(stats.resets, 75);
    assert.equal(report.tally.main.reasons['0 ConnectionLost'], undefined, `RST_STREAM(INTERNAL_ERROR) is not a lost connection: ${JSON.stringify(report.tally.main.reasons)}`);
  });

  test(`[${t}] Go net/http calling Shutdown() mid-burst, with a new server on the port: all 1000 accepted, none twice`, { skip }, async () => {
    const creds = await credentials();
    const server = await goServer('shutdown');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 1000, topic: creds.identity.topic });
    const stats = await server.stop();
    assert.equal(stats.shutdowns, 1);
    assertOutcomes(report.tally.main, { accepted: 1000 }, 1000);
    assert.equal(stats.duplicates, 0, 'nothing the first server processed was sent again');
    assert.equal(stats.answered, 1000);
    assert.equal(stats.handshakes, 2, 'one connection to each server');
  });

  test(`[${t}] Go net/http refusing the client certificate: all 50 are credential failures, for at most 3 handshakes`, { skip }, async () => {
    const creds = await credentials();
    // A push certificate from a CA the server does not trust (another test PKI).
    const other = await createTestPki();
    const key = generateRsaKey();
    const { cert } = await issueMdmPushCertificate(other, { publicKey: crypto.createPublicKey(key), environments: ['development', 'production'] });
    const server = await goServer('ok');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 50, topic: creds.identity.topic, cert: cert + other.pushCa.cert, key: privateKeyToPem(key) });
    const stats = await server.stop();
    assertOutcomes(report.tally.main, { credential: 50 }, 50);
    assert.equal(report.tally.main.reasons['0 ConnectionFailed'], 50);
    assert.ok(stats.handshakes <= 3, `${stats.handshakes} TLS handshakes for 50 notifications`);
    assert.equal(stats.requests, 0);
  });
}
