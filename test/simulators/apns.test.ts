// The APNs simulator, driven by clients nobody here wrote: Node's own http2 client with raw
// headers, and curl --http2. Every reason in Apple's table comes back with its status.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import http2 from 'node:http2';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { APNS_REASONS, type ApnsReason } from '../../src/apns/reasons.ts';
import type { ApnsSimulator } from '../../src/simulators/apns.ts';
import { issueTestCertificate } from '../../src/simulators/test-pki.ts';
import { deviceToken, pushIdentity, simulator } from '../apns/fixtures.ts';
import { tempDir, testPki, writeFiles } from '../fixtures/pki.ts';

interface RawResponse {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

/** One request with Node's http2 client; `headers` may be a raw [name, value, …] list. */
async function raw(sim: ApnsSimulator, options: { headers?: Record<string, string> | string[]; body?: string; identity?: { cert: string; key: string } | null; session?: http2.ClientHttp2Session } = {}): Promise<RawResponse> {
  const pki = await testPki();
  const identity = options.identity === undefined ? await pushIdentity() : options.identity;
  const session = options.session ?? http2.connect(sim.url, { ca: pki.serverCa.cert, ...(identity ? { cert: identity.cert, key: identity.key } : {}) });
  try {
    return await new Promise<RawResponse>((resolve, reject) => {
      const headers = options.headers ?? { ':method': 'POST', ':path': `/3/device/${deviceToken(1)}` };
      const req = session.request(headers as http2.OutgoingHttpHeaders, { endStream: false });
      let body = '';
      let responseHeaders: http2.IncomingHttpHeaders = {};
      req.setEncoding('utf8');
      req.on('response', (h) => { responseHeaders = h; });
      req.on('data', (c: string) => { body += c; });
      req.on('end', () => resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body }));
      req.on('error', reject);
      req.end(options.body ?? '{"aps":{}}');
    });
  } finally {
    if (!options.session) session.close();
  }
}

function post(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ':method': 'POST', ':path': `/3/device/${token}`, ...extra };
}

function reasonOf(response: RawResponse): string {
  return (JSON.parse(response.body) as { reason: string }).reason;
}

test('a good push is answered 200 with the request\'s apns-id, and logged', async () => {
  const { sim } = await simulator();
  const id = '123e4567-e89b-12d3-a456-426614174000';
  const r = await raw(sim, { headers: post(deviceToken(1), { 'apns-id': id, 'apns-push-type': 'mdm' }), body: '{"mdm":"x"}' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['apns-id'], id);
  assert.equal(r.body, '');
  assert.deepEqual(sim.log.forToken(deviceToken(1)).map((d) => [d.apnsId, d.payload]), [[id, '{"mdm":"x"}']]);
});

test('without an apns-id the simulator makes one up, as APNs does', async () => {
  const { sim } = await simulator();
  const r = await raw(sim);
  assert.match(String(r.headers['apns-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

test('the development environment also returns apns-unique-id', async () => {
  const { sim } = await simulator({ environment: 'development' });
  const r = await raw(sim);
  assert.equal(r.status, 200);
  assert.ok(r.headers['apns-unique-id']);
});

test('every reason in Apple\'s table is answered with its status and a {"reason"} body', async () => {
  const { sim } = await simulator();
  const session = http2.connect(sim.url, { ca: (await testPki()).serverCa.cert, ...(await pushIdentity()) });
  try {
    for (const [i, reason] of (Object.keys(APNS_REASONS) as ApnsReason[]).entries()) {
      const token = deviceToken(100 + i);
      sim.setDevice(token, { reason });
      const r = await raw(sim, { headers: post(token), session });
      assert.equal(r.status, APNS_REASONS[reason].status, reason);
      assert.equal(reasonOf(r), reason);
      assert.equal(r.headers['content-type'], 'application/json');
    }
  } finally {
    session.close();
  }
});

test('an unregistered token is 410 Unregistered with the time in milliseconds', async () => {
  const { sim } = await simulator();
  sim.setDevice(deviceToken(2), 'unregistered', new Date(1_700_000_000_000));
  const r = await raw(sim, { headers: post(deviceToken(2)) });
  assert.equal(r.status, 410);
  assert.deepEqual(JSON.parse(r.body), { reason: 'Unregistered', timestamp: 1_700_000_000_000 });
});

test('requests are validated as APNs does', async () => {
  const { sim } = await simulator();
  const token = deviceToken(3);
  const cases: Array<[string, Parameters<typeof raw>[1], number, string]> = [
    ['GET', { headers: { ':method': 'GET', ':path': `/3/device/${token}` } }, 405, 'MethodNotAllowed'],
    ['wrong path', { headers: { ':method': 'POST', ':path': '/2/device/x' } }, 404, 'BadPath'],
    ['no token', { headers: { ':method': 'POST', ':path': '/3/device/' } }, 400, 'MissingDeviceToken'],
    ['non-hex token', { headers: post('zz'.repeat(32)) }, 400, 'BadDeviceToken'],
    ['short token', { headers: post('ab'.repeat(16)) }, 400, 'BadDeviceToken'],
    ['push type', { headers: post(token, { 'apns-push-type': 'sms' }) }, 400, 'InvalidPushType'],
    ['priority', { headers: post(token, { 'apns-priority': '7' }) }, 400, 'BadPriority'],
    ['expiration', { headers: post(token, { 'apns-expiration': 'tomorrow' }) }, 400, 'BadExpirationDate'],
    ['apns-id', { headers: post(token, { 'apns-id': 'nope' }) }, 400, 'BadMessageId'],
    ['collapse id', { headers: post(token, { 'apns-collapse-id': 'c'.repeat(65) }) }, 400, 'BadCollapseId'],
    ['empty payload', { headers: post(token), body: '' }, 400, 'PayloadEmpty'],
    ['4097-byte payload', { headers: post(token), body: 'x'.repeat(4097) }, 413, 'PayloadTooLarge'],
    ['5121-byte voip payload', { headers: post(token, { 'apns-push-type': 'voip' }), body: 'x'.repeat(5121) }, 413, 'PayloadTooLarge'],
    ['other topic', { headers: post(token, { 'apns-topic': 'com.example.other' }) }, 400, 'TopicDisallowed'],
    ['topic with a space', { headers: post(token, { 'apns-topic': 'com.example app' }) }, 400, 'BadTopic'],
    ['repeated header', { headers: [':method', 'POST', ':path', `/3/device/${token}`, 'apns-priority', '10', 'apns-priority', '5'] }, 400, 'DuplicateHeaders'],
    ['no certificate, no token', { headers: post(token), identity: null }, 403, 'MissingProviderToken'],
  ];
  for (const [what, options, status, reason] of cases) {
    const r = await raw(sim, options);
    assert.deepEqual([r.status, reasonOf(r)], [status, reason], what);
  }
  assert.equal(sim.log.count, 0);
});

test('a 5120-byte voip payload is accepted', async () => {
  const { sim } = await simulator();
  assert.equal((await raw(sim, { headers: post(deviceToken(4), { 'apns-push-type': 'voip' }), body: 'x'.repeat(5120) })).status, 200);
});

test('a client certificate from another CA is 403 BadCertificate', async () => {
  const { sim, pki } = await simulator();
  const stranger = await issueTestCertificate(pki.mpnsRoot, { commonName: 'stranger', extendedKeyUsage: ['clientAuth'] });
  const r = await raw(sim, { identity: stranger });
  assert.deepEqual([r.status, reasonOf(r)], [403, 'BadCertificate']);
});

function jwt(privateKey: crypto.KeyObject, kid: string, iss: string, iat: number): string {
  const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc({ alg: 'ES256', kid })}.${enc({ iss, iat })}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

test('provider tokens are checked as APNs does', async () => {
  const a = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const b = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Math.floor(Date.now() / 1000);
  const { sim, pki } = await simulator({ tokenKeys: [{ keyId: 'KEYA123456', teamId: 'TEAMA12345', publicKey: a.publicKey }, { keyId: 'KEYB123456', teamId: 'TEAMB12345', publicKey: b.publicKey }] });
  const token = deviceToken(5);
  const bearer = (t: string) => ({ authorization: `bearer ${t}`, 'apns-topic': 'com.example.app' });
  const fresh = () => http2.connect(sim.url, { ca: pki.serverCa.cert });
  const good = jwt(a.privateKey, 'KEYA123456', 'TEAMA12345', now);
  const cases: Array<[string, Record<string, string>, number, string]> = [
    ['valid', bearer(good), 200, ''],
    ['no topic', { authorization: `bearer ${good}` }, 400, 'MissingTopic'],
    ['signed by another key', bearer(jwt(b.privateKey, 'KEYA123456', 'TEAMA12345', now)), 403, 'InvalidProviderToken'],
    ['unknown key', bearer(jwt(a.privateKey, 'KEYZ123456', 'TEAMA12345', now)), 403, 'InvalidProviderToken'],
    ['wrong team', bearer(jwt(a.privateKey, 'KEYA123456', 'TEAMB12345', now)), 403, 'InvalidProviderToken'],
    ['not a JWT', bearer('abc'), 403, 'InvalidProviderToken'],
    ['older than an hour', bearer(jwt(a.privateKey, 'KEYA123456', 'TEAMA12345', now - 3601)), 403, 'ExpiredProviderToken'],
    ['empty bearer', { authorization: 'bearer', 'apns-topic': 'x' }, 403, 'MissingProviderToken'],
  ];
  for (const [what, headers, status, reason] of cases) {
    const session = fresh();
    const r = await raw(sim, { headers: post(token, headers), identity: null, session });
    session.close();
    assert.deepEqual([r.status, r.body ? reasonOf(r) : ''], [status, reason], what);
  }
  // On one connection: a second team's key, and a new token within 20 minutes.
  const session = fresh();
  try {
    assert.equal((await raw(sim, { headers: post(token, bearer(good)), identity: null, session })).status, 200);
    const other = await raw(sim, { headers: post(token, bearer(jwt(b.privateKey, 'KEYB123456', 'TEAMB12345', now))), identity: null, session });
    assert.deepEqual([other.status, reasonOf(other)], [403, 'UnrelatedKeyIdInToken']);
    const soon = await raw(sim, { headers: post(token, bearer(jwt(a.privateKey, 'KEYA123456', 'TEAMA12345', now - 60))), identity: null, session });
    assert.deepEqual([soon.status, reasonOf(soon)], [429, 'TooManyProviderTokenUpdates']);
  } finally {
    session.close();
  }
});

test('without client auth (for h2load) any request is taken', async () => {
  const { sim } = await simulator({ clientAuth: false });
  assert.equal((await raw(sim, { identity: null })).status, 200);
});

test('the status endpoint reports counts and the log, per token', async () => {
  const { sim } = await simulator();
  await raw(sim, { headers: post(deviceToken(6)), body: '{"n":1}' });
  sim.setDevice(deviceToken(7), 'unregistered');
  await raw(sim, { headers: post(deviceToken(7)) });
  const status = JSON.parse((await raw(sim, { headers: { ':method': 'GET', ':path': '/_sim/status' }, identity: null })).body) as { accepted: number; rejected: Record<string, number> };
  assert.equal(status.accepted, 1);
  assert.deepEqual(status.rejected, { Unregistered: 1 });
  const log = JSON.parse((await raw(sim, { headers: { ':method': 'GET', ':path': `/_sim/log?token=${deviceToken(6)}` }, identity: null })).body) as { count: number; deliveries: Array<{ payload: string }> };
  assert.equal(log.count, 1);
  assert.deepEqual(log.deliveries.map((d) => d.payload), ['{"n":1}']);
});

test('an idle connection gets GOAWAY with reason IdleTimeout', async () => {
  const { sim, pki } = await simulator({ idleTimeoutMs: 100 });
  const session = http2.connect(sim.url, { ca: pki.serverCa.cert, ...(await pushIdentity()) });
  const [code, , data] = await new Promise<[number, number, Buffer]>((resolve) => session.on('goaway', (...args) => resolve(args as [number, number, Buffer])));
  session.destroy();
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(data.toString()), { reason: 'IdleTimeout' });
});

const curlHasHttp2 = /\bHTTP2\b/.test(spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout ?? '');

test('curl --http2 with the push certificate gets 200 and an apns-id, and the right reason for bad pushes', { skip: curlHasHttp2 ? false : 'curl is missing or has no HTTP/2 support' }, async () => {
  const { sim, pki } = await simulator();
  const id = await pushIdentity();
  const dir = tempDir();
  const files = writeFiles(dir, { 'push.pem': id.cert, 'push.key': id.key, 'ca.pem': pki.serverCa.cert });
  sim.setDevice(deviceToken(9), 'unregistered', new Date(1_700_000_000_000));
  // Asynchronously: the simulator answers from this very process.
  const curl = async (token: string, extra: string[] = []) => (await promisify(execFile)('curl', ['-s', '-i', '--http2', '--cert', files['push.pem']!, '--key', files['push.key']!, '--cacert', files['ca.pem']!,
    '-H', `apns-topic: ${id.topic}`, '-H', 'apns-push-type: mdm', '--data', '{"mdm":"curl"}', ...extra, `${sim.url}/3/device/${token}`], { encoding: 'utf8' })).stdout;
  const good = await curl(deviceToken(8));
  assert.match(good, /^HTTP\/2 200/);
  assert.match(good, /^apns-id: [0-9a-f-]{36}/m);
  assert.equal(sim.log.forToken(deviceToken(8))[0]!.payload, '{"mdm":"curl"}');
  const gone = await curl(deviceToken(9));
  assert.match(gone, /^HTTP\/2 410/);
  assert.match(gone, /\{"reason":"Unregistered","timestamp":1700000000000\}/);
  assert.match(await curl('zz'), /^HTTP\/2 400[\s\S]*"reason":"BadDeviceToken"/);
  assert.match(await curl(deviceToken(10), ['-H', 'apns-priority: 3']), /^HTTP\/2 400[\s\S]*"reason":"BadPriority"/);
});
