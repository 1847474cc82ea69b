import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { verifyWebhookSignature } from '../../src/delivery/webhook-sender.ts';
import { parseCsr } from '../../src/pki/csr.ts';
import { issuePushCertificate } from '../../src/simulators/apple-portal.ts';
import { issueMdmPushCertificate } from '../../src/simulators/test-pki.ts';
import crypto from 'node:crypto';
import { backends } from '../fixtures/backends.ts';
import { atEnd } from '../fixtures/pki.ts';
import { callApi, deviceToken, eventually, onboardTenant, startWorld, type World } from '../fixtures/service.ts';

interface Received { event: string; body: { event: string; tenantId: string; data: Record<string, unknown> }; valid: boolean }

/** A webhook receiver on loopback that fails its first `failFirst` calls. */
async function receiver(secretOf: () => string, failFirst = 0): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      calls++;
      if (calls <= failFirst) { res.statusCode = 500; res.end(); return; }
      received.push({ event: String(req.headers['certpush-event']), body: JSON.parse(body), valid: verifyWebhookSignature(secretOf(), body, String(req.headers['certpush-signature'])) });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  atEnd(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

async function completed(world: World, key: string, tid: string, nid: string, timeoutMs = 60_000) {
  return eventually(async () => {
    const r = await world.api(key, 'GET', `/v1/tenants/${tid}/notifications/${nid}?limit=1000`);
    return r.body.completedAt ? r.body : undefined;
  }, timeoutMs, `notification ${nid} to complete`);
}

const [sqlite] = await backends();

describe('delivery follows the push services\' rules', () => {
  it('retries 503s, GOAWAYs, resets and QueueFull until everything deliverable arrives, within the retry budget', async () => {
    const world = await startWorld(sqlite!, { service: { worker: { pollMs: 50, retryDelayScale: 0.001, maxAttempts: 30 } } });
    const t = await onboardTenant(world, 'Faults');
    world.apns.setFaults({ serviceUnavailable: 0.2, tooManyRequests: 0.05, goawayAfterStreams: 150, seed: 3 });
    world.apns.setDevice(deviceToken(5), 'unregistered');
    const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i), pushMagic: `m${i}` }));
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices:import`, lines.join('\n'), { 'content-type': 'application/x-ndjson' });
    await world.api(t.key, 'PUT', `/v1/tenants/${t.tid}/mpns/credential`, { certificate: world.pki.mpnsClient.cert, key: world.pki.mpnsClient.key });
    for (const token of ['a1', 'a2', 'a3']) await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mpns', channelUri: world.mpns.channelUri(token, { authenticated: true }) });
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mpns', channelUri: world.mpns.channelUri('expired-gone', { authenticated: true }) });
    world.mpns.injectFault('queue-full', { count: 2 });
    world.mpns.injectFault('unavailable', { count: 2 });

    const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true, mpns: { type: 'toast', text1: 'hi' } });
    assert.equal(sent.body.total, 604);
    const report = await completed(world, t.key, t.tid, sent.body.id, 120_000);
    assert.equal(report.counts.delivered, 602, JSON.stringify(report.counts));
    assert.equal(report.counts.invalid, 2);
    assert.equal(report.counts.failed, 0);
    assert.ok(world.apns.stats().rejected.ServiceUnavailable! > 0 && world.apns.stats().goaways > 0, JSON.stringify(world.apns.stats()));
    for (let i = 0; i < 600; i++) if (i !== 5) assert.ok(world.apns.log.forToken(deviceToken(i)).length >= 1, `device ${i}`);

    // Second wave: connections dropped mid-stream with no GOAWAY at all.
    world.apns.log.clear();
    world.apns.setFaults({ resetAfterStreams: 120, seed: 4 });
    const again = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    const second = await completed(world, t.key, t.tid, again.body.id, 120_000);
    assert.equal(second.counts.delivered, 599, JSON.stringify(second.counts));
    assert.ok(world.apns.stats().resets > 0, JSON.stringify(world.apns.stats()));
    for (let i = 0; i < 600; i++) if (i !== 5) assert.ok(world.apns.log.forToken(deviceToken(i)).length >= 1, `device ${i} after resets`);
    assert.ok(report.results.every((r: { attempts: number }) => r.attempts <= 30));
    assert.ok(report.results.some((r: { attempts: number }) => r.attempts > 1), 'some rows were retried');
    const invalid = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices?status=invalid`);
    assert.deepEqual(invalid.body.items.map((d: { invalidReason: string }) => d.invalidReason).sort(), ['SubscriptionExpired', 'Unregistered'].sort());
  });

  it('a row that keeps failing ends as failed when its budget is spent', async () => {
    const world = await startWorld(sqlite!, { service: { worker: { pollMs: 50, retryDelayScale: 0.0001, maxAttempts: 3 } } });
    const t = await onboardTenant(world, 'Budget');
    world.apns.setDevice(deviceToken(1), { reason: 'ServiceUnavailable' });
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mdm', token: deviceToken(1), pushMagic: 'm' });
    const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    const report = await completed(world, t.key, t.tid, sent.body.id);
    assert.equal(report.counts.failed, 1);
    assert.equal(report.results[0].attempts, 3);
    assert.match(report.results[0].reason, /gave up after 3 attempts/);
  });

  it('a 403 BadCertificate pauses the tenant without burning rows; a new certificate resumes it', async () => {
    const world = await startWorld(sqlite!, { config: { webhookAllowInsecure: true }, service: { worker: { pollMs: 50, retryDelayScale: 0.001, maxAttempts: 3 } } });
    const t = await onboardTenant(world, 'Paused');
    let secret = '';
    const hook = await receiver(() => secret);
    secret = (await world.api(t.key, 'PUT', `/v1/tenants/${t.tid}/webhook`, { url: hook.url })).body.secret;
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, 'c'), pushMagic: 'm' }));
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices:import`, lines.join('\n'), { 'content-type': 'application/x-ndjson' });
    for (let i = 0; i < 50; i++) world.apns.setDevice(deviceToken(i, 'c'), { reason: 'BadCertificate' });
    const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    await eventually(async () => ((await world.api(world.operatorKey, 'GET', `/v1/tenants/${t.tid}`)).body.paused ?? undefined), 30_000, 'the tenant to be paused');
    const paused = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/notifications/${sent.body.id}`);
    assert.equal(paused.body.counts.pending, 50, 'rows wait while paused');
    assert.equal(paused.body.counts.failed, 0);
    assert.ok(paused.body.results.every((r: { attempts: number }) => r.attempts === 0), 'credential failures do not spend attempts');

    // The operator fixes the certificate (here: APNs accepts again) and the tenant renews it.
    for (let i = 0; i < 50; i++) world.apns.setDevice(deviceToken(i, 'c'), null);
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/mdm/csr`, {});
    const signed = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/mdm/push-cert-request`);
    const renewed = await issuePushCertificate(world.pki, signed.body.request, { previous: t.cert });
    assert.equal((await world.api(t.key, 'PUT', `/v1/tenants/${t.tid}/mdm/push-cert`, { certificate: renewed.cert })).status, 200);
    assert.equal((await world.api(world.operatorKey, 'GET', `/v1/tenants/${t.tid}`)).body.paused, null);
    const report = await completed(world, t.key, t.tid, sent.body.id);
    assert.equal(report.counts.delivered, 50);
    await eventually(async () => (hook.received.some((r) => r.event === 'notification.completed') ? true : undefined), 30_000, 'the completion webhook');
    const events = hook.received.map((r) => r.event);
    assert.ok(events.includes('tenant.paused'), events.join());
    assert.ok(hook.received.every((r) => r.valid), 'every webhook call is signed with the tenant\'s secret');
  });

  it('sends device.invalidated and certificate.expiring webhooks, retrying a failing receiver', async () => {
    const world = await startWorld(sqlite!, { config: { webhookAllowInsecure: true }, service: { worker: { pollMs: 50 } } });
    const t = await onboardTenant(world, 'Hooks');
    let secret = '';
    const hook = await receiver(() => secret, 1);
    secret = (await world.api(t.key, 'PUT', `/v1/tenants/${t.tid}/webhook`, { url: hook.url, events: ['device.invalidated', 'certificate.expiring', 'notification.completed'] })).body.secret;
    world.apns.setDevice(deviceToken(9, 'd'), 'unregistered');
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mdm', token: deviceToken(9, 'd'), pushMagic: 'm' });
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });

    // Replace the certificate with one that expires in 10 days, then run the expiry check.
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/mdm/csr`, {});
    const csr = parseCsr((await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/mdm/push-cert`)).body.pendingCsr);
    const soon = await issueMdmPushCertificate(world.pki, { publicKey: crypto.createPublicKey({ key: csr.publicKey.spki, format: 'der', type: 'spki' }), topic: t.topic, notAfter: new Date(Date.now() + 10 * 86_400_000) });
    assert.equal((await world.api(t.key, 'PUT', `/v1/tenants/${t.tid}/mdm/push-cert`, { certificate: soon.cert })).status, 200);
    await world.service.background!.checkNow();
    await world.service.background!.checkNow(); // a second check sends nothing new

    await eventually(async () => (['device.invalidated', 'certificate.expiring', 'notification.completed'].every((e) => hook.received.some((r) => r.event === e)) ? true : undefined), 60_000, 'all three webhook events');
    const expiring = hook.received.filter((r) => r.event === 'certificate.expiring');
    assert.equal(expiring.length, 1);
    assert.equal(expiring[0]!.body.data.daysLeft, 9);
    assert.equal(expiring[0]!.body.data.topic, t.topic);
    const invalidated = hook.received.find((r) => r.event === 'device.invalidated')!;
    assert.equal((invalidated.body.data.devices as Array<{ reason: string }>)[0]!.reason, 'Unregistered');
    assert.ok(hook.received.every((r) => r.valid && r.body.tenantId === t.tid));
    const status = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/webhook`);
    assert.ok(status.body.recent.some((e: { attempts: number; state: string }) => e.state === 'delivered' && e.attempts >= 2), 'the first, failed call was retried');
  });

  it('refuses unauthenticated MPNS notifications past the daily limit without calling MPNS, and a restart does not reset the count', async () => {
    const world = await startWorld(sqlite!, { config: { mpnsDailyLimit: 3 } });
    const t = await onboardTenant(world, 'Quota');
    const device = (await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mpns', channelUri: world.mpns.channelUri('quota-phone') })).body;
    let url = world.url;
    const send = async () => {
      const sent = await callApi(url, t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { devices: [device.id], mpns: { type: 'toast', text1: 'hi' } });
      return eventually(async () => {
        const r = await callApi(url, t.key, 'GET', `/v1/tenants/${t.tid}/notifications/${sent.body.id}`);
        return r.body.results[0]?.class ? r.body.results[0] : undefined;
      }, 30_000, 'an outcome');
    };
    for (let i = 0; i < 3; i++) assert.equal((await send()).state, 'delivered');
    await world.service.close();
    url = (await world.startAnother()).url!;
    const refused = await send();
    assert.equal(refused.state, 'pending', 'it waits for the next UTC day');
    assert.equal(refused.reason, 'QuotaExhausted');
    assert.equal(world.mpns.notifications.filter((n) => n.token === 'quota-phone').length, 3, 'MPNS was never called past the limit');
    assert.ok(Date.parse(refused.nextAttemptAt) > Date.now() + 60_000, 'the retry is scheduled after midnight UTC');
  });

  it('refuses webhooks to private addresses unless configured for tests', async () => {
    const world = await startWorld(sqlite!);
    const t = await onboardTenant(world, 'No SSRF');
    const r = await world.api(t.key, 'PUT', `/v1/tenants/${t.tid}/webhook`, { url: 'http://127.0.0.1:9/hook' });
    assert.equal(r.status, 422);
    assert.equal(r.body.code, 'WEBHOOK_URL_INVALID');
  });

  it('exposes Prometheus metrics: deliveries by outcome, queue depth, credentials by days left', async () => {
    const world = await startWorld(sqlite!);
    const t = await onboardTenant(world, 'Metrics');
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mdm', token: deviceToken(1, 'e'), pushMagic: 'm' });
    const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
    await completed(world, t.key, t.tid, sent.body.id);
    const text = await (await fetch(`${world.url}/metrics`)).text();
    assert.match(text, /certpush_deliveries_total\{service="apns",outcome="delivered"\} 1/);
    assert.match(text, /certpush_queue_depth 0/);
    assert.match(text, /certpush_open_sessions [1-9]/);
    assert.match(text, /certpush_credentials\{kind="mdm",days="31\+"\} 1/);
    assert.match(text, /certpush_attempt_seconds_bucket/);
    assert.doesNotMatch(text, new RegExp(t.tid), 'no tenant ids in metrics');
    const status = await world.api(world.operatorKey, 'GET', '/v1/operator/status');
    assert.equal(status.status, 200);
    assert.ok(status.body.vendorCertificate.daysLeft > 300, JSON.stringify(status.body));
  });
});
