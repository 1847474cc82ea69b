// The client against a scripted python-h2 server (h2-server.py on Debian's python3-h2; the
// python3 on a pyenv PATH has no h2, so /usr/bin/python3 is used). Each mode is one legal server
// behaviour; tokens pick per-request behaviour, so every count below is exact.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir, writeFiles } from '../../fixtures/pki.ts';
import { assertOutcomes, credentials, printedPort, requireTool, runClient, spawnServer, transports } from './harness.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(import.meta.dirname, 'h2-server.py');
const missing = requireTool(PYTHON, ['-c', 'import h2, hpack'], 'python3-h2');

interface H2Server {
  url: string;
  /** Stop it and read its counters. */
  stop(): Promise<H2ServerStats>;
}

interface H2ServerStats {
  connections: number;
  requests: number;
  answered: number;
  duplicates: number;
  resets_sent: number;
  client_goaways: number[];
  connections_with_client_goaway: number;
  resets_received: number;
  unended_at_close: number;
  closed_after_goaway: number;
  goaways_sent: number;
  stalled: number;
  protocol_errors: string[];
}

async function h2Server(mode: string): Promise<H2Server> {
  const { pki } = await credentials();
  const files = writeFiles(tempDir('certpush-h2-'), { 'server.pem': pki.server.cert, 'server.key': pki.server.key, 'client-ca.pem': pki.appleRoot.cert + pki.pushCa.cert });
  const server = spawnServer(PYTHON, [SCRIPT, mode, files['server.pem']!, files['server.key']!, files['client-ca.pem']!]);
  const port = await printedPort(server, 'h2-server.py');
  return { url: `https://127.0.0.1:${port}`, stop: async () => (await server.stop()) as unknown as H2ServerStats };
}

for (const transport of transports()) {
  const skip = missing || transport.skip;
  const t = transport.name;

  test(`[${t}] python-h2 at its defaults: 200 notifications accepted, each once`, { skip }, async () => {
    const creds = await credentials();
    const server = await h2Server('ok');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 200, topic: creds.identity.topic });
    const stats = await server.stop();
    assertOutcomes(report.tally.main, { accepted: 200 }, 200);
    assert.equal(stats.duplicates, 0);
  });

  for (const size of [0, 100]) {
    test(`[${t}] python-h2 lowering SETTINGS_HEADER_TABLE_SIZE to ${size} mid-connection: 200 notifications accepted on one connection`, { skip }, async () => {
      const creds = await credentials();
      const server = await h2Server(`table-size-${size}`);
      const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 200, topic: creds.identity.topic });
      const stats = await server.stop();
      assertOutcomes(report.tally.main, { accepted: 200 }, 200);
      assert.deepEqual(stats.protocol_errors, [], 'hpack accepted every header block (RFC 7541 §4.2: a dynamic table size update first)');
      assert.equal(stats.connections, 1);
    });
  }

  test(`[${t}] python-h2 sending GOAWAY with streams open and keeping the connection open: all 200 accepted once, and the client closes that connection`, { skip }, async () => {
    const creds = await credentials();
    const server = await h2Server('goaway-open');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 200, topic: creds.identity.topic });
    const stats = await server.stop();
    assertOutcomes(report.tally.main, { accepted: 200 }, 200);
    assert.equal(stats.goaways_sent, 1);
    assert.equal(stats.duplicates, 0, 'nothing at or below GOAWAY\'s last stream id was sent twice');
    assert.equal(stats.closed_after_goaway, 1, 'the client closed the connection that got GOAWAY');
    assert.equal(stats.connections_with_client_goaway, stats.connections, 'the client sent GOAWAY on every connection it closed');
    assert.ok(stats.client_goaways.every((code) => code === 0), `every GOAWAY from the client was NO_ERROR: ${stats.client_goaways.join(', ')}`);
  });

  test(`[${t}] python-h2 sending GOAWAY and never answering the streams it kept: those time out, the rest are accepted once, and the connection is closed`, { skip }, async () => {
    const creds = await credentials();
    const server = await h2Server('goaway-stall');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 200, topic: creds.identity.topic, options: { requestTimeoutMs: 1000 }, deadlineMs: 30_000 });
    const stats = await server.stop();
    assert.ok(stats.stalled > 0, 'some streams were open below the last stream id');
    assertOutcomes(report.tally.main, { accepted: 200 - stats.stalled, retry: stats.stalled }, 200);
    assert.equal(report.tally.main.reasons['0 Timeout'], stats.stalled, `streams at or below GOAWAY's last stream id wait for their answer until the deadline: ${JSON.stringify(report.tally.main.reasons)}`);
    assert.equal(stats.duplicates, 0);
    assert.equal(stats.closed_after_goaway, 1, 'the client closed the connection that got GOAWAY');
  });

  test(`[${t}] python-h2 answering HEADERS 200 that never end, with 10 streams: all 200 accepted, and those 50 streams cancelled to free their slots`, { skip }, async () => {
    const creds = await credentials();
    const server = await h2Server('never-end');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 200, topic: creds.identity.topic, options: { requestTimeoutMs: 1000 }, deadlineMs: 30_000 });
    const stats = await server.stop();
    // A 200 in HEADERS is APNs' acceptance; the unended stream must still be reset (RST_STREAM)
    // by its deadline, or its slot is never given back and the queue behind it waits forever.
    // Those still open when close() ends the connection are ended by that (at most the 10 allowed).
    assertOutcomes(report.tally.main, { accepted: 200 }, 200);
    assert.equal(stats.resets_received + stats.unended_at_close, 50, 'each unended stream was reset by the client or ended with its connection');
    assert.ok(stats.unended_at_close <= 10);
  });

  test(`[${t}] python-h2 sending PUSH_PROMISE (push disabled): a connection error with PROTOCOL_ERROR; that request is a retry, the next 100 accepted`, { skip }, async () => {
    const creds = await credentials();
    const server = await h2Server('push-promise');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, warmup: 1, count: 100, topic: creds.identity.topic });
    const stats = await server.stop();
    assertOutcomes(report.tally.warmup, { retry: 1 }, 1);
    assertOutcomes(report.tally.main, { accepted: 100 }, 100);
    // Seen twice, under load (a full npm test; 1 of 36 runs beside three busy loops): [0], the
    // first connection's GOAWAY not recorded. Not explained yet: the message carries what the
    // server saw, to tell the next one apart.
    assert.deepEqual(stats.client_goaways, [1, 0], `GOAWAY PROTOCOL_ERROR on the first connection, GOAWAY NO_ERROR when close() ended the second (server saw ${stats.connections} connections, protocol errors ${JSON.stringify(stats.protocol_errors)}, ${stats.connections_with_client_goaway} with a client GOAWAY)`);
  });

  test(`[${t}] python-h2 padding every DATA frame: 67 answers 400 BadDeviceToken are invalid, 133 accepted`, { skip }, async () => {
    const creds = await credentials();
    const server = await h2Server('padding');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 200, topic: creds.identity.topic });
    await server.stop();
    assertOutcomes(report.tally.main, { accepted: 133, invalid: 67 }, 200);
    assert.equal(report.tally.main.reasons['400 BadDeviceToken'], 67);
  });

  test(`[${t}] python-h2 with a 16-byte stream window: 100 3 KB notifications accepted`, { skip }, async () => {
    const creds = await credentials();
    const server = await h2Server('small-window');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 100, payloadBytes: 3000, topic: creds.identity.topic });
    await server.stop();
    assertOutcomes(report.tally.main, { accepted: 100 }, 100);
  });

  test(`[${t}] python-h2 refusing everything with GOAWAY(last stream 0) on every connection: 200 retries, bounded connections and resends`, { skip }, async () => {
    const creds = await credentials();
    const server = await h2Server('goaway-zero');
    // A short reconnect backoff (the default waits seconds between connections, 30 s of this
    // test): the bounds below hold with none at all — they come from maxResends.
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 200, topic: creds.identity.topic, options: { maxResends: 5, reconnectBackoff: { baseMs: 50, maxMs: 400 } } });
    const stats = await server.stop();
    // GOAWAY resends count towards maxResends: each notification is sent at most 1 + 5 times,
    // over a handful of connections, not thousands.
    assertOutcomes(report.tally.main, { retry: 200 }, 200);
    assert.ok(stats.requests <= 200 * 6, `${stats.requests} requests for 200 notifications`);
    assert.ok(stats.connections <= 12, `${stats.connections} connections (TLS handshakes) for 200 notifications`);
  });

  test(`[${t}] python-h2 resetting streams: REFUSED_STREAM is resent once, INTERNAL_ERROR and ENHANCE_YOUR_CALM are retries but not ConnectionLost`, { skip }, async () => {
    const creds = await credentials();
    const server = await h2Server('rst-codes');
    const { report } = await runClient(creds, { endpoint: server.url, transport: t, count: 200, topic: creds.identity.topic });
    const stats = await server.stop();
    // Tokens 0…199: % 5 == 1 or 3 (80) reset for good; % 5 == 2 (40) refused once, then taken.
    assertOutcomes(report.tally.main, { accepted: 120, retry: 80 }, 200);
    assert.equal(stats.duplicates, 0);
    assert.equal(stats.resets_sent, 120);
    assert.equal(report.tally.main.reasons['0 ConnectionLost'], undefined, `the connection was never lost: ${JSON.stringify(report.tally.main.reasons)}`);
    assert.equal(stats.connections, 1);
  });
}
