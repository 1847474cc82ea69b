// The simulator as the client's referee: it judges requests by its own reading of Apple's
// tables (src/simulators/apns/apple-*.ts), not by the client's rules. Each malformed request
// below gets Apple's documented status and reason, written out here literally; then the
// client's local checks and the simulator are compared on random notifications, so a rule
// that is wrong on one side shows up as a disagreement.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http2 from 'node:http2';
import { test } from 'node:test';
import fc from 'fast-check';
import { prepareNotification, type Notification } from '../../src/apns/notification.ts';
import { APNS_REASONS } from '../../src/apns/reasons.ts';
import { APPLE_REASON_STATUS } from '../../src/simulators/apns/apple-reasons.ts';
import { deviceToken, pushIdentity, simulator } from '../apns/fixtures.ts';
import { testPki } from '../fixtures/pki.ts';

interface Answer {
  status: number;
  reason: string | undefined;
}

async function connect(url: string): Promise<http2.ClientHttp2Session> {
  const pki = await testPki();
  const id = await pushIdentity();
  const session = http2.connect(url, { ca: pki.serverCa.cert, cert: id.cert, key: id.key });
  session.on('error', () => { /* surfaced by the request */ });
  return session;
}

/** One request, headers as given (a raw [name, value, …] list keeps repeats). */
function request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders | string[], body: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers as http2.OutgoingHttpHeaders, { endStream: false });
    let status = 0;
    let text = '';
    req.setEncoding('utf8');
    req.on('response', (h) => { status = Number(h[':status']); });
    req.on('data', (c: string) => { text += c; });
    req.on('end', () => resolve({ status, reason: text ? (JSON.parse(text) as { reason?: string }).reason : undefined }));
    req.on('error', reject);
    req.end(body);
  });
}

const TOKEN = deviceToken(1);

function post(extra: Record<string, string> = {}, token = TOKEN): Record<string, string> {
  return { ':method': 'POST', ':path': `/3/device/${token}`, 'apns-push-type': 'mdm', ...extra };
}

// [what, headers, body, status, reason] — Apple's documented answer for each.
const MALFORMED: Array<[string, http2.OutgoingHttpHeaders | string[], string, number, string]> = [
  ['GET', { ':method': 'GET', ':path': `/3/device/${TOKEN}` }, '', 405, 'MethodNotAllowed'],
  ['PUT', { ':method': 'PUT', ':path': `/3/device/${TOKEN}` }, '{}', 405, 'MethodNotAllowed'],
  ['DELETE', { ':method': 'DELETE', ':path': `/3/device/${TOKEN}` }, '', 405, 'MethodNotAllowed'],
  ['API version 2', { ':method': 'POST', ':path': `/2/device/${TOKEN}` }, '{}', 404, 'BadPath'],
  ['/3/devices/…', { ':method': 'POST', ':path': `/3/devices/${TOKEN}` }, '{}', 404, 'BadPath'],
  ['a segment after the token', { ':method': 'POST', ':path': `/3/device/${TOKEN}/x` }, '{}', 404, 'BadPath'],
  ['a query after the token', { ':method': 'POST', ':path': `/3/device/${TOKEN}?x=1` }, '{}', 404, 'BadPath'],
  ['no device token', { ':method': 'POST', ':path': '/3/device/' }, '{}', 400, 'MissingDeviceToken'],
  ['a token of 63 hex digits', post({}, TOKEN.slice(1)), '{}', 400, 'BadDeviceToken'],
  ['a token of 65 hex digits', post({}, `${TOKEN}a`), '{}', 400, 'BadDeviceToken'],
  ['a token with a non-hex digit', post({}, `g${TOKEN.slice(1)}`), '{}', 400, 'BadDeviceToken'],
  ['a topic with a space', post({ 'apns-topic': 'com.example app' }), '{}', 400, 'BadTopic'],
  ['a topic with a non-ASCII character', post({ 'apns-topic': 'com.exämple.app' }), '{}', 400, 'BadTopic'],
  ['a topic the certificate does not cover', post({ 'apns-topic': 'com.example.other' }), '{}', 400, 'TopicDisallowed'],
  ['push type sms', post({ 'apns-push-type': 'sms' }), '{}', 400, 'InvalidPushType'],
  ['push type in capitals', post({ 'apns-push-type': 'MDM' }), '{}', 400, 'InvalidPushType'],
  ['priority 7', post({ 'apns-priority': '7' }), '{}', 400, 'BadPriority'],
  ['priority 0', post({ 'apns-priority': '0' }), '{}', 400, 'BadPriority'],
  ['priority high', post({ 'apns-priority': 'high' }), '{}', 400, 'BadPriority'],
  ['expiration -1', post({ 'apns-expiration': '-1' }), '{}', 400, 'BadExpirationDate'],
  ['expiration 1.5', post({ 'apns-expiration': '1.5' }), '{}', 400, 'BadExpirationDate'],
  ['expiration as a date', post({ 'apns-expiration': '2030-01-01' }), '{}', 400, 'BadExpirationDate'],
  ['apns-id not a UUID', post({ 'apns-id': 'not-a-uuid' }), '{}', 400, 'BadMessageId'],
  ['apns-id without hyphens', post({ 'apns-id': '123e4567e89b12d3a456426614174000' }), '{}', 400, 'BadMessageId'],
  ['collapse id of 65 bytes', post({ 'apns-collapse-id': 'c'.repeat(65) }), '{}', 400, 'BadCollapseId'],
  ['collapse id of 33 two-byte characters (66 bytes)', post({ 'apns-collapse-id': 'é'.repeat(33) }), '{}', 400, 'BadCollapseId'],
  ['apns-priority twice', [':method', 'POST', ':path', `/3/device/${TOKEN}`, 'apns-priority', '10', 'apns-priority', '10'], '{}', 400, 'DuplicateHeaders'],
  ['an empty payload', post(), '', 400, 'PayloadEmpty'],
  ['a 4097-byte payload', post(), 'x'.repeat(4097), 413, 'PayloadTooLarge'],
  ['a 5121-byte VoIP payload', post({ 'apns-push-type': 'voip' }), 'x'.repeat(5121), 413, 'PayloadTooLarge'],
  ['a 4097-byte payload of another push type than VoIP', post({ 'apns-push-type': 'background' }), 'x'.repeat(4097), 413, 'PayloadTooLarge'],
];

for (const [what, headers, body, status, reason] of MALFORMED) {
  test(`the simulator answers ${what} with ${status} ${reason}`, async () => {
    const { sim } = await simulator();
    const session = await connect(sim.url);
    try {
      assert.deepEqual(await request(session, headers, body), { status, reason });
      assert.equal(sim.log.count, 0);
    } finally {
      session.close();
    }
  });
}

// The limits themselves are allowed: Apple's "at most".
const AT_THE_LIMIT: Array<[string, http2.OutgoingHttpHeaders, string]> = [
  ['a 4096-byte payload', post(), 'x'.repeat(4096)],
  ['a 5120-byte VoIP payload', post({ 'apns-push-type': 'voip' }), 'x'.repeat(5120)],
  ['a collapse id of 64 bytes', post({ 'apns-collapse-id': 'c'.repeat(64) }), '{}'],
  ['expiration 0 (deliver now or never)', post({ 'apns-expiration': '0' }), '{}'],
  ['priority 1', post({ 'apns-priority': '1' }), '{}'],
  ['a token of 200 hex digits (longer tokens exist)', post({}, 'ab'.repeat(100)), '{}'],
  ['an apns-id in capitals', post({ 'apns-id': '123E4567-E89B-12D3-A456-426614174000' }), '{}'],
];

for (const [what, headers, body] of AT_THE_LIMIT) {
  test(`the simulator accepts ${what}`, async () => {
    const { sim } = await simulator();
    const session = await connect(sim.url);
    try {
      assert.deepEqual(await request(session, headers, body), { status: 200, reason: undefined });
    } finally {
      session.close();
    }
  });
}

test('the simulator answers a token-auth request without apns-topic with 400 MissingTopic, and with one with 200', async () => {
  const key = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { sim, pki } = await simulator({ tokenKeys: [{ keyId: 'KEY1234567', teamId: 'TEAM123456', publicKey: key.publicKey }] });
  // A provider token made here by hand (ES256 over {alg, kid}.{iss, iat}), not by the client.
  const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc({ alg: 'ES256', kid: 'KEY1234567' })}.${enc({ iss: 'TEAM123456', iat: Math.floor(Date.now() / 1000) })}`;
  const jwt = `${input}.${crypto.sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  const session = http2.connect(sim.url, { ca: pki.serverCa.cert });
  session.on('error', () => {});
  try {
    const headers = { ':method': 'POST', ':path': `/3/device/${TOKEN}`, authorization: `bearer ${jwt}`, 'apns-push-type': 'alert' };
    assert.deepEqual(await request(session, headers, '{}'), { status: 400, reason: 'MissingTopic' });
    assert.deepEqual(await request(session, { ...headers, 'apns-topic': 'com.example.app' }, '{}'), { status: 200, reason: undefined });
  } finally {
    session.close();
  }
});

test('the simulator\'s reason table and the client\'s list the same reasons with the same statuses', () => {
  const simulatorTable = Object.entries(APPLE_REASON_STATUS).sort();
  const clientTable = Object.entries(APNS_REASONS).map(([reason, info]) => [reason, info.status] as [string, number]).sort();
  assert.deepEqual(clientTable, simulatorTable);
});

/** A notification with at most one thing wrong, picked at random. */
const notifications = fc.record({
  token: fc.oneof(
    fc.constant(TOKEN),
    fc.constant('ab'.repeat(40)),
    fc.constant(TOKEN.slice(2)),
    fc.constant(`${TOKEN}0`),
    fc.constant(`z${TOKEN.slice(1)}`),
  ),
  pushType: fc.constantFrom('mdm', 'alert', 'background', 'voip', 'sms', 'push'),
  priority: fc.option(fc.constantFrom(10, 5, 1, 0, 7, 11), { nil: undefined }),
  expiration: fc.option(fc.oneof(fc.constant(0), fc.constant(1_893_456_000), fc.constant(-1), fc.constant(1.5)), { nil: undefined }),
  collapseId: fc.option(fc.oneof(fc.constant('c'.repeat(64)), fc.constant('c'.repeat(65)), fc.constant('é'.repeat(32)), fc.constant('é'.repeat(33))), { nil: undefined }),
  id: fc.option(fc.constantFrom('123e4567-e89b-12d3-a456-426614174000', 'nope', '123e4567e89b12d3a456426614174000'), { nil: undefined }),
  payloadBytes: fc.constantFrom(0, 2, 4096, 4097, 5120, 5121),
  topic: fc.option(fc.constantFrom('com.example app'), { nil: undefined }),
});

test('the client\'s local checks and the simulator agree on 300 random notifications: same reason when rejected, 200 when not', async () => {
  const { sim } = await simulator();
  const { topic } = await pushIdentity();
  const session = await connect(sim.url);
  try {
    await fc.assert(fc.asyncProperty(notifications, async (n) => {
      const payload = n.payloadBytes === 0 ? '' : n.payloadBytes === 2 ? '{}' : `{"p":"${'x'.repeat(n.payloadBytes - 8)}"}`;
      const notification = { token: n.token, payload, pushType: n.pushType, priority: n.priority, expiration: n.expiration, collapseId: n.collapseId, id: n.id, topic: n.topic ?? topic } as Notification;
      // At most one fault: the two sides check in different orders, and a request with two
      // faults may rightly get either reason.
      const faults = [
        n.token !== TOKEN && n.token !== 'ab'.repeat(40),
        !['mdm', 'alert', 'background', 'voip'].includes(n.pushType),
        n.priority !== undefined && ![10, 5, 1].includes(n.priority),
        n.expiration !== undefined && (n.expiration < 0 || !Number.isInteger(n.expiration)),
        n.collapseId !== undefined && Buffer.byteLength(n.collapseId) > 64,
        n.id !== undefined && n.id.length !== 36,
        n.payloadBytes === 0 || n.payloadBytes > (n.pushType === 'voip' ? 5120 : 4096),
        n.topic !== undefined,
      ].filter(Boolean).length;
      fc.pre(faults <= 1);
      const local = prepareNotification(notification, topic);
      // The request as the notification's values would go on the wire, whatever the client
      // thinks of them.
      const headers: Record<string, string> = { ':method': 'POST', ':path': `/3/device/${n.token}`, 'apns-topic': n.topic ?? topic, 'apns-push-type': n.pushType };
      if (n.priority !== undefined) headers['apns-priority'] = String(n.priority);
      if (n.expiration !== undefined) headers['apns-expiration'] = String(n.expiration);
      if (n.collapseId !== undefined) headers['apns-collapse-id'] = n.collapseId;
      if (n.id !== undefined) headers['apns-id'] = n.id;
      const answer = await request(session, headers, payload);
      if ('class' in local) {
        assert.deepEqual(answer, { status: APPLE_REASON_STATUS[local.reason as keyof typeof APPLE_REASON_STATUS], reason: local.reason }, `client said ${local.reason} for ${JSON.stringify(n)}`);
      } else {
        assert.deepEqual(answer, { status: 200, reason: undefined }, `the client would send ${JSON.stringify(n)}`);
      }
    }), { numRuns: 300, seed: 11 });
  } finally {
    session.close();
  }
});
