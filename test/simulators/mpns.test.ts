import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_PAYLOAD_BYTES } from '../../src/mpns/protocol.ts';
import { type MpnsSimulator, startMpnsSimulator } from '../../src/simulators/mpns.ts';
import { type SimulatorFixture, startSimulatorFixture } from '../mpns/simulator-fixture.ts';
import { postToast, request, TOAST_XML } from './mpns-request.ts';

let f: SimulatorFixture;
let sim: MpnsSimulator;
let n = 0;
const uri = (prefix = '', authenticated = false) => sim.channelUri(`${prefix}device-${++n}`, { authenticated });
const mpnsHeaders = (reply: { headers: Record<string, unknown> }) =>
  [reply.headers['x-notificationstatus'], reply.headers['x-subscriptionstatus'], reply.headers['x-deviceconnectionstatus']];

before(async () => {
  f = await startSimulatorFixture();
  sim = f.simulator;
});
after(() => f.close());

describe('MPNS simulator answers', () => {
  it('answers a valid toast with 200 Received / Active / Connected', async () => {
    const reply = await postToast(uri());
    assert.equal(reply.status, 200);
    assert.deepEqual(mpnsHeaders(reply), ['Received', 'Active', 'Connected']);
  });

  it('answers a temporarily disconnected device with 200 Received / Active / TempDisconnected', async () => {
    assert.deepEqual(mpnsHeaders(await postToast(uri('disconnected-'))), ['Received', 'Active', 'TempDisconnected']);
  });

  it('answers a suppressing channel with 200 Suppressed', async () => {
    const reply = await postToast(uri('suppressed-'));
    assert.deepEqual([reply.status, ...mpnsHeaders(reply)], [200, 'Suppressed', 'Active', 'Connected']);
  });

  it('answers an expired subscription with 404 Dropped / Expired', async () => {
    const reply = await postToast(uri('expired-'));
    assert.deepEqual([reply.status, ...mpnsHeaders(reply)], [404, 'Dropped', 'Expired', 'Connected']);
  });

  it('answers an inactive device with 412 Dropped and DeviceConnectionStatus Inactive only', async () => {
    const reply = await postToast(uri('inactive-'));
    assert.deepEqual([reply.status, ...mpnsHeaders(reply)], [412, 'Dropped', undefined, 'Inactive']);
  });

  it('answers a queuefull- token with 200 QueueFull', async () => {
    const reply = await postToast(uri('queuefull-'));
    assert.deepEqual([reply.status, ...mpnsHeaders(reply)], [200, 'QueueFull', 'Active', 'Connected']);
  });

  it('answers an unavailable- token with a bare 503', async () => {
    const reply = await postToast(uri('unavailable-'));
    assert.deepEqual([reply.status, ...mpnsHeaders(reply)], [503, undefined, undefined, undefined]);
  });

  it('injects 503 for the next N requests to a token, then recovers', async () => {
    const channel = uri();
    sim.injectFault('unavailable', { count: 2, token: channel.split('/').pop()! });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await postToast(channel)).status);
    assert.deepEqual(statuses, [503, 503, 200]);
  });

  it('injects QueueFull for the next request to any token', async () => {
    sim.injectFault('queue-full');
    assert.equal((await postToast(uri())).headers['x-notificationstatus'], 'QueueFull');
    assert.equal((await postToast(uri())).headers['x-notificationstatus'], 'Received');
  });

  it('answers an authenticated channel reached over HTTP with 401', async () => {
    const channel = uri('', true).replace(sim.httpsUrl!, sim.httpUrl!);
    assert.equal((await postToast(channel)).status, 401);
  });
});

describe('MPNS simulator request checks', () => {
  async function rejected(reply: Promise<{ status: number; headers: Record<string, unknown> }>, pattern: RegExp) {
    const { status, headers } = await reply;
    assert.equal(status, 400);
    assert.match(String(headers['x-simulator-error']), pattern);
  }

  it('refuses methods other than POST with 405', async () => {
    assert.equal((await request(uri(), { method: 'GET' })).status, 405);
  });

  it('refuses XML that is not well-formed', async () => {
    await rejected(postToast(uri(), { body: '<wp:Notification xmlns:wp="WPNotification"><wp:Toast></wp:Notification>' }), /not well-formed/);
  });

  it('refuses a toast header with a tile payload', async () => {
    const tile = '<wp:Notification xmlns:wp="WPNotification"><wp:Tile><wp:Title>x</wp:Title></wp:Tile></wp:Notification>';
    await rejected(postToast(uri(), { body: tile }), /must hold exactly one <wp:Toast>/);
  });

  it('refuses a notification class that belongs to another kind', async () => {
    await rejected(postToast(uri(), { headers: { 'x-notificationclass': '1' } }), /not valid for a toast/);
  });

  it('refuses an unknown X-WindowsPhone-Target', async () => {
    await rejected(postToast(uri(), { headers: { 'x-windowsphone-target': 'badge' } }), /X-WindowsPhone-Target/);
  });

  it('refuses an X-MessageID that is not a UUID', async () => {
    await rejected(postToast(uri(), { headers: { 'x-messageid': '42' } }), /not a UUID/);
  });

  it('refuses a payload over 3 KB', async () => {
    await rejected(postToast(uri(), { headers: { 'x-windowsphone-target': undefined, 'x-notificationclass': '3' }, body: Buffer.alloc(MAX_PAYLOAD_BYTES + 1) }), /3072 bytes/);
  });

  it('reports the real size of a payload far over 3 KB', async () => {
    await rejected(postToast(uri(), { headers: { 'x-windowsphone-target': undefined, 'x-notificationclass': '3' }, body: Buffer.alloc(10_240) }), /is 10240 bytes/);
  });

  it('refuses a document type declaration', async () => {
    await rejected(postToast(uri(), { body: `<!DOCTYPE x [<!ENTITY a "b">]>${TOAST_XML.replace('<?xml version="1.0" encoding="utf-8"?>', '')}` }), /DTD/);
  });

  it('refuses an element the toast does not have', async () => {
    await rejected(postToast(uri(), { body: TOAST_XML.replace('<wp:Text1>Hi</wp:Text1>', '<wp:Text1>Hi</wp:Text1><wp:Title>x</wp:Title>') }), /<wp:Title> is not an element of a toast/);
  });

  it('refuses a payload without the WPNotification namespace', async () => {
    await rejected(postToast(uri(), { body: TOAST_XML.replace('xmlns:wp="WPNotification"', 'xmlns:wp="urn:other"') }), /xmlns:wp="WPNotification"/);
  });

  it('refuses a toast whose Content-Type is not text/xml', async () => {
    await rejected(postToast(uri(), { headers: { 'content-type': 'application/json' } }), /text\/xml/);
  });

  it('refuses a tile element that does not belong to its template', async () => {
    const tile = '<wp:Notification xmlns:wp="WPNotification" Version="2.0"><wp:Tile Template="IconicTile"><wp:CycleImage1>/a.png</wp:CycleImage1></wp:Tile></wp:Notification>';
    await rejected(postToast(uri(), { headers: { 'x-windowsphone-target': 'token', 'x-notificationclass': '1' }, body: tile }), /not an element of the IconicTile tile/);
  });

  it('accepts any bytes as a raw notification', async () => {
    const reply = await postToast(uri(), { headers: { 'x-windowsphone-target': undefined, 'x-notificationclass': '13', 'content-type': 'application/octet-stream' }, body: Buffer.from([1, 2, 3]) });
    assert.equal(reply.status, 200);
    assert.deepEqual([sim.notifications.at(-1)!.kind, sim.notifications.at(-1)!.interval], ['raw', 450]);
  });
});

describe('MPNS simulator daily limit', () => {
  it('enforces 500 notifications per unauthenticated subscription per day, then answers 406', async () => {
    const channel = uri();
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 4 });
    const statuses = await Promise.all(Array.from({ length: 501 }, () => postToast(channel, { client: { agent } })));
    agent.destroy();
    assert.equal(statuses.filter((r) => r.status === 200).length, 500);
    const refused = statuses.filter((r) => r.status === 406);
    assert.equal(refused.length, 1);
    assert.deepEqual(mpnsHeaders(refused[0]!), ['Dropped', 'Active', 'Connected']);
  });

  it('starts counting again at midnight UTC', async () => {
    let now = new Date('2030-01-01T23:59:00Z');
    const daily = await startMpnsSimulator({ dailyLimit: 1, now: () => now });
    try {
      const channel = daily.channelUri('phone');
      assert.deepEqual([(await postToast(channel)).status, (await postToast(channel)).status], [200, 406]);
      now = new Date('2030-01-02T00:00:00Z');
      assert.equal((await postToast(channel)).status, 200);
    } finally {
      await daily.close();
    }
  });

  it('does not limit authenticated channels', async () => {
    const strict = await startSimulatorFixture({ dailyLimit: 1 });
    try {
      const tls = { cert: strict.pki.mpnsClient.cert, key: strict.pki.mpnsClient.key, ca: strict.pki.serverCa.cert };
      const channel = strict.simulator.channelUri('phone', { authenticated: true });
      assert.deepEqual([(await postToast(channel, { client: tls })).status, (await postToast(channel, { client: tls })).status], [200, 200]);
    } finally {
      await strict.close();
    }
  });
});

describe('MPNS simulator HTTPS', () => {
  it('refuses a TLS connection without a client certificate', async () => {
    const before = sim.stats.tlsRejected;
    await assert.rejects(postToast(uri('', true), { client: { ca: f.pki.serverCa.cert } }));
    assert.equal(sim.stats.tlsRejected, before + 1);
  });

  it('records the client certificate\'s CN with each authenticated notification', async () => {
    await postToast(uri('', true), { client: { cert: f.pki.mpnsClient.cert, key: f.pki.mpnsClient.key, ca: f.pki.serverCa.cert } });
    assert.deepEqual([sim.notifications.at(-1)!.authenticated, sim.notifications.at(-1)!.clientCertificate], [true, 'certpush-test-service']);
  });
});

describe('MPNS simulator control and records', () => {
  it('records accepted notifications with their parsed elements', async () => {
    const channel = uri();
    await postToast(channel, { body: TOAST_XML.replace('Hi', 'Tom &amp; Jerry&apos;s') });
    const recorded = sim.notifications.at(-1)!;
    assert.deepEqual([recorded.token, recorded.kind, recorded.elements, recorded.response], [channel.split('/').pop(), 'toast', { Text1: "Tom & Jerry's" }, 'received']);
  });

  it('keeps only the most recent notifications', async () => {
    const small = await startMpnsSimulator({ keep: 2 });
    try {
      for (const text of ['one', 'two', 'three']) await postToast(small.channelUri('p'), { body: TOAST_XML.replace('Hi', text) });
      assert.deepEqual(small.notifications.map((r) => r.elements.Text1), ['two', 'three']);
    } finally {
      await small.close();
    }
  });

  it('sets a subscription state through PUT /_simulator/subscriptions/<token>', async () => {
    const channel = uri();
    const put = await request(`${sim.httpUrl}/_simulator/subscriptions/${channel.split('/').pop()}`, { method: 'PUT', body: JSON.stringify({ state: 'expired' }) });
    assert.equal(put.status, 200);
    assert.equal((await postToast(channel)).status, 404);
  });

  it('injects faults through POST /_simulator/faults', async () => {
    const channel = uri();
    await request(`${sim.httpUrl}/_simulator/faults`, { body: JSON.stringify({ fault: 'unavailable', count: 1, token: channel.split('/').pop() }) });
    assert.deepEqual([(await postToast(channel)).status, (await postToast(channel)).status], [503, 200]);
  });

  it('reports counters at GET /_simulator/stats', async () => {
    const stats = JSON.parse((await request(`${sim.httpUrl}/_simulator/stats`, { method: 'GET' })).text) as { requests: number; responses: Record<string, number> };
    assert.ok(stats.requests > 0);
    assert.ok((stats.responses.received ?? 0) > 0);
  });

  it('lists accepted notifications for one token at GET /_simulator/notifications?token=', async () => {
    const channel = uri();
    const token = channel.split('/').pop()!;
    await postToast(channel);
    const list = JSON.parse((await request(`${sim.httpUrl}/_simulator/notifications?token=${token}`, { method: 'GET' })).text) as Array<{ token: string }>;
    assert.deepEqual(list.map((r) => r.token), [token]);
  });

  it('forgets everything on reset', async () => {
    const own = await startMpnsSimulator();
    try {
      await postToast(own.channelUri('p'));
      own.reset();
      assert.deepEqual([own.stats.requests, own.notifications.length], [0, 0]);
    } finally {
      await own.close();
    }
  });
});
