// The client against nghttpd (nghttp2's server, C, Debian nghttp2-server), each case with one
// non-default server setting. nghttpd serves files: the docroot holds 3/device/<token> for every
// token, so POST /3/device/<token> is answered 200 (with the file as the body).
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir, writeFiles } from '../../fixtures/pki.ts';
import { assertOutcomes, credentials, freePort, requireTool, runClient, spawnServer, tokenOf, transports, waitForPort } from './harness.ts';

const missing = requireTool('nghttpd', ['--version'], 'nghttp2-server');
const N = 200;

async function nghttpd(settings: string[]): Promise<{ url: string; stop: () => Promise<unknown> }> {
  const { pki } = await credentials();
  const dir = tempDir('certpush-nghttpd-');
  const docroot = path.join(dir, 'htdocs');
  fs.mkdirSync(path.join(docroot, '3', 'device'), { recursive: true });
  // A body, so that --trailer has something to follow (nghttpd sends trailers only after a body).
  for (let i = 0; i < N; i++) fs.writeFileSync(path.join(docroot, '3', 'device', tokenOf(i)), '{}');
  const files = writeFiles(dir, { 'server.key': pki.server.key, 'server.pem': pki.server.cert });
  const port = await freePort();
  // -V: ask for the client certificate, as APNs does (nghttpd requests it without verifying it).
  const server = spawnServer('nghttpd', ['-a', '127.0.0.1', '-V', '-d', docroot, ...settings, String(port), files['server.key']!, files['server.pem']!]);
  await waitForPort(port, server.child, server.stderr);
  return { url: `https://127.0.0.1:${port}`, stop: server.stop };
}

const cases: Array<{ what: string; settings: string[]; payloadBytes?: number }> = [
  { what: 'at its default settings', settings: [] },
  { what: 'with SETTINGS_HEADER_TABLE_SIZE 0 (-c 0)', settings: ['-c', '0'] },
  { what: 'with SETTINGS_HEADER_TABLE_SIZE 100 (-c 100)', settings: ['-c', '100'] },
  { what: 'with one concurrent stream (-m 1)', settings: ['-m', '1'] },
  { what: 'with 1023-byte stream and connection windows and 3 KB payloads (-w 10 -W 10)', settings: ['-w', '10', '-W', '10'], payloadBytes: 3000 },
  { what: 'padding every frame with 255 bytes (-b 255)', settings: ['-b', '255'] },
  { what: 'answering before the request body arrives (--early-response), 3 KB payloads', settings: ['--early-response'], payloadBytes: 3000 },
  { what: 'sending trailers after the body (--trailer)', settings: ['--trailer', 'x-interop: trailer'] },
];

for (const transport of transports()) {
  for (const c of cases) {
    test(`[${transport.name}] nghttpd ${c.what}: all ${N} notifications are accepted, each once, and the process exits after close()`, { skip: missing || transport.skip }, async () => {
      const creds = await credentials();
      const server = await nghttpd(c.settings);
      try {
        const { report } = await runClient(creds, { endpoint: server.url, transport: transport.name, count: N, payloadBytes: c.payloadBytes, topic: creds.identity.topic, deadlineMs: 30_000 });
        assertOutcomes(report.tally.main, { accepted: N }, N);
      } finally {
        await server.stop();
      }
    });
  }
}
