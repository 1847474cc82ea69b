// Limits and deadlines of the APNs client against servers that misbehave: GOAWAY on every
// connection, connections dropped, streams never answered or never ended, stream resets. Every
// notification gets exactly one outcome, in bounded time and with bounded handshakes.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { describe, test } from 'node:test';
import type { ApnsClient } from '../../src/apns/client.ts';
import type { Outcome } from '../../src/apns/outcome.ts';
import { TRANSPORT_NAMES } from '../../src/apns/transport/transport.ts';
import { detailOf, deviceToken, reasonOf } from './fixtures.ts';
import { clientFor, droppingServer, frame, goawayFrame, h2Server, rawFrameServer } from './h2-test-server.ts';

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_PROTOCOL_ERROR, NGHTTP2_CANCEL } = http2.constants;

function sendMany(client: ApnsClient, count: number, offset = 0): Promise<Outcome[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => client.send({ token: deviceToken(offset + i), payload: '{"mdm":"m"}', pushType: 'mdm' })));
}

/** `promise`, or a rejection naming what hung after `ms` (so a hang fails instead of stalling). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function countBy(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = `${o.class} ${reasonOf(o) ?? ''}`.trim();
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

for (const transport of TRANSPORT_NAMES) describe(`over ${transport}`, () => {
  test('a server that GOAWAYs every connection with an error costs a bounded number of handshakes, and each of 200 notifications gets one retry outcome', async () => {
    // As nghttpd does for a header block it cannot decode: GOAWAY(error) with last stream id 1.
    const server = await h2Server((stream, _ordinal, session) => {
      if (session.closed || session.destroyed) return;
      session.goaway(NGHTTP2_PROTOCOL_ERROR, 1, Buffer.from('{"reason":"test"}'));
      setImmediate(() => session.destroy());
    });
    const client = await clientFor(server, transport, { maxResends: 5, reconnectBackoff: { baseMs: 10, maxMs: 100 } });
    const outcomes = await within(sendMany(client, 200), 30_000, '200 notifications to a server that always GOAWAYs');
    assert.equal(outcomes.length, 200);
    for (const o of outcomes) assert.equal(o.class, 'retry', `${reasonOf(o)}: ${detailOf(o)}`);
    const counts = countBy(outcomes);
    assert.equal((counts['retry RefusedStream'] ?? 0) + (counts['retry ConnectionLost'] ?? 0), 200, JSON.stringify(counts));
    // maxResends 5: six tries at most for each notification, so six connections at most.
    assert.ok(server.connections <= 7, `${server.connections} handshakes for 200 notifications`);
    assert.ok(client.stats().resent <= 200 * 5, `${client.stats().resent} resends`);
  });

  test('a refused request says how often it was sent and what the last GOAWAY was', async () => {
    const server = await rawFrameServer((_id, socket) => socket.end(goawayFrame(0, NGHTTP2_PROTOCOL_ERROR)));
    const client = await clientFor(server, transport, { maxResends: 2, reconnectBackoff: { baseMs: 10, maxMs: 50 } });
    const [outcome] = await within(sendMany(client, 1), 10_000, 'one notification');
    assert.equal(reasonOf(outcome!), 'RefusedStream');
    assert.match(detailOf(outcome!), /Sent 3 times; last: not processed: above the last stream id of APNs sent GOAWAY PROTOCOL_ERROR/);
  });

  test('handovers past graceful GOAWAYs that let one stream through are bounded by maxHandovers', async () => {
    // Every connection: GOAWAY(NO_ERROR) letting stream 1 through, which is answered.
    const server = await h2Server((stream, _ordinal, session) => {
      if (stream.id === 1) {
        session.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
        stream.respond({ ':status': 200 }, { endStream: true });
      }
    });
    const client = await clientFor(server, transport, { maxHandovers: 3 });
    const outcomes = await within(sendMany(client, 20), 20_000, '20 notifications');
    // Connection k answers one notification and hands the rest over; after 3 handovers the
    // remaining 16 stop: 4 accepted over 4 connections.
    assert.deepEqual(countBy(outcomes), { accepted: 4, 'retry RefusedStream': 16 });
    assert.equal(server.connections, 4);
  });

  test('a response that sends a status but never ends is answered with that status at its deadline', async () => {
    const server = await h2Server((stream) => {
      stream.respond({ ':status': 400 });
      stream.write('{"reason":"BadDev');
    });
    const client = await clientFor(server, transport, { requestTimeoutMs: 200 });
    const [outcome] = await within(sendMany(client, 1), 10_000, 'one notification');
    assert.deepEqual([outcome!.class, outcome!.status, reasonOf(outcome!)], ['rejected', 400, 'HTTP400']);
  });

  test('reconnects after failed connections back off exponentially with jitter', async () => {
    const server = await rawFrameServer((_id, socket) => socket.end(goawayFrame(0, NGHTTP2_PROTOCOL_ERROR)));
    const baseMs = 80;
    const client = await clientFor(server, transport, { maxResends: 4, reconnectBackoff: { baseMs, maxMs: 10_000 }, random: () => 0 });
    await within(sendMany(client, 1), 20_000, 'one notification');
    assert.equal(server.connections, 5);
    // random 0: each delay is half its ceiling, baseMs·2^k / 2 — timers never fire early.
    const gaps = server.connectedAt.slice(1).map((at, i) => at - server.connectedAt[i]!);
    gaps.forEach((gap, k) => assert.ok(gap >= (baseMs * 2 ** k) / 2 - 5, `gap ${k} was ${gap} ms, below ${(baseMs * 2 ** k) / 2} ms: ${gaps.join(', ')}`));
  });

  test('while connecting fails, notifications sent one after another fail fast instead of each costing a handshake', async () => {
    const server = await droppingServer();
    const client = await clientFor(server, transport, { reconnectBackoff: { baseMs: 5000, maxMs: 5000 } });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 30; i++) outcomes.push(await within(client.send({ token: deviceToken(i), payload: '{}' }), 10_000, `notification ${i}`));
    for (const o of outcomes) assert.deepEqual([o.class, reasonOf(o)], ['retry', 'ConnectionFailed']);
    assert.equal(server.connections, 1);
  });

  test('queued notifications that get no stream within queueTimeoutMs time out without being sent', async () => {
    // One stream at a time, and it is never answered.
    const server = await h2Server(() => {}, { maxConcurrentStreams: 1 });
    const client = await clientFor(server, transport, { queueTimeoutMs: 300, requestTimeoutMs: 2000 });
    const started = Date.now();
    const pending = Array.from({ length: 5 }, (_, i) => client.send({ token: deviceToken(i), payload: '{}' }));
    const queued = await within(Promise.all(pending.slice(1)), 1800, 'the queued notifications');
    for (const o of queued) {
      assert.deepEqual([o.class, reasonOf(o)], ['retry', 'Timeout']);
      assert.match(detailOf(o), /queueTimeoutMs\); it was never sent/);
    }
    assert.ok(Date.now() - started < 1800);
    assert.equal(server.streams, 1);
    assert.match(detailOf(await pending[0]!), /requestTimeoutMs/);
  });

  test('responses whose headers arrive but which never end are cancelled at their deadline: 1,000 notifications over 10 streams all get an outcome', async () => {
    let unended = 0;
    const server = await h2Server((stream, ordinal) => {
      if (ordinal % 10 === 0) {
        unended++;
        stream.respond({ ':status': 200 }); // and never ends
      } else {
        stream.respond({ ':status': 200 }, { endStream: true });
      }
    }, { maxConcurrentStreams: 10 });
    const client = await clientFor(server, transport, { requestTimeoutMs: 250 });
    const outcomes = await within(sendMany(client, 1000), 60_000, '1,000 notifications with some responses never ended');
    const counts = countBy(outcomes);
    // node's server may refuse a stream opened right after our RST_STREAM with
    // ENHANCE_YOUR_CALM (it frees the cancelled stream's slot a moment later): a retry outcome.
    assert.equal((counts.accepted ?? 0) + (counts['retry StreamReset'] ?? 0), 1000, JSON.stringify(counts));
    assert.ok((counts.accepted ?? 0) >= 900, JSON.stringify(counts));
    for (let i = 0; i < 50 && (server.resets[NGHTTP2_CANCEL] ?? 0) < unended; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(unended >= 90);
    assert.equal(server.resets[NGHTTP2_CANCEL], unended, `every never-ended response is cancelled; resets by code: ${JSON.stringify(server.resets)}`);
  });

  test('a stream APNs resets with INTERNAL_ERROR is a retryable server error, not a lost connection', async () => {
    const server = await h2Server((stream) => stream.close(NGHTTP2_INTERNAL_ERROR));
    const client = await clientFor(server, transport);
    const [outcome] = await within(sendMany(client, 1), 10_000, 'one notification');
    assert.deepEqual([outcome!.class, reasonOf(outcome!)], ['retry', 'StreamReset']);
    assert.match(detailOf(outcome!), /RST_STREAM INTERNAL_ERROR/);
    assert.ok(outcome!.class === 'retry' && outcome!.retryAfterMs !== undefined);
  });

  test('after a protocol error the client detected itself, the outcome names it instead of "closed before APNs answered"', async () => {
    // HEADERS whose block starts with indexed field 0, which RFC 7541 §6.1 forbids.
    const server = await rawFrameServer((id, socket) => socket.write(frame(0x1, 0x4 | 0x1, id, Buffer.from([0x80]))));
    const client = await clientFor(server, transport);
    const [outcome] = await within(sendMany(client, 1), 10_000, 'one notification');
    assert.deepEqual([outcome!.class, reasonOf(outcome!)], ['retry', 'ConnectionLost']);
    // nghttp2 does not say which code it sent; certpush's wire does.
    assert.match(detailOf(outcome!), transport === 'certpush' ? /HTTP\/2 protocol error detected by certpush: COMPRESSION_ERROR \(/ : /HTTP\/2 protocol error detected by certpush \(node:http2\): /);
    assert.doesNotMatch(detailOf(outcome!), /closed before APNs answered/);
  });

  test('close() closes a connection that is draining after GOAWAY, and resolves once it is closed', async () => {
    const server = await h2Server((stream, ordinal, session) => {
      // The first request gets a GOAWAY that lets it through, and never an answer.
      if (ordinal === 1) session.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
    });
    const client = await clientFor(server, transport, { requestTimeoutMs: 300 });
    const outcome = await within(client.send({ token: deviceToken(1), payload: '{}' }), 10_000, 'the notification');
    assert.deepEqual([outcome.class, reasonOf(outcome)], ['retry', 'Timeout']);
    await within(client.close(), 5000, 'close()');
    for (let i = 0; i < 50 && server.open > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(server.open, 0, 'the server still has the connection open after close()');
  });
});
