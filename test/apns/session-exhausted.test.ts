// A session whose connection runs out of stream ids (RFC 9113 §5.1.1) leaves the pool at once,
// so new work goes to a new connection, and still finishes the streams it has open.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveEndpoint } from '../../src/apns/endpoints.ts';
import { prepareNotification, type PreparedRequest } from '../../src/apns/notification.ts';
import { ApnsSession, type Job, type JobResult } from '../../src/apns/session.ts';
import { testPki } from '../fixtures/pki.ts';
import { deviceToken } from './fixtures.ts';
import { h2Server } from './h2-test-server.ts';

function job(n: number): Job {
  const request = prepareNotification({ token: deviceToken(n), payload: '{}', topic: 'com.example.app' }, undefined) as PreparedRequest;
  return { request, attempt: undefined, resends: 0, handovers: 0, renewedToken: false, providerToken: undefined, submittedAt: Date.now(), deadline: 0, done: () => {}, context: undefined };
}

test('on the certpush wire, a session whose stream ids run out leaves the pool before its open streams are answered, and they are still answered', async () => {
  const server = await h2Server((stream) => stream.respond({ ':status': 200 }, { endStream: true }));
  const pki = await testPki();
  const events: string[] = [];
  const results: JobResult[] = [];
  const { promise: closed, resolve: onClosed } = Promise.withResolvers<void>();
  let started = false;
  const session: ApnsSession = new ApnsSession(1, {
    endpoint: resolveEndpoint(server.url), tls: { ca: pki.serverCa.cert }, transport: 'certpush',
    maxConcurrentStreams: 100, requestTimeoutMs: 10_000, connectTimeoutMs: 10_000, pingIntervalMs: 60_000,
    pingTimeoutMs: 10_000, idleTimeoutMs: 60_000, now: Date.now,
    // Stream ids 1 and 3 only.
    wireLimits: { maxStreamId: 3 },
  }, {
    capacity: (s) => {
      if (started || !s.hasRoom) return;
      started = true;
      s.start(job(1), undefined);
      s.start(job(2), undefined);
    },
    gone: () => events.push('gone'),
    closed: () => { events.push('closed'); onClosed(); },
    settled: (_job, result) => { events.push('settled'); results.push(result); },
  });
  await closed;
  assert.deepEqual(events, ['gone', 'settled', 'settled', 'closed']);
  assert.deepEqual(results.map((r) => r.kind === 'response' && r.status), [200, 200]);
  assert.equal(session.state, 'closed');
});
