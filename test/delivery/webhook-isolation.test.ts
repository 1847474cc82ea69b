import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { WEBHOOK_CONCURRENCY_PER_TENANT } from '../../src/delivery/webhook-sender.ts';
import { emitWebhookEvent } from '../../src/service/webhooks.ts';
import { backends } from '../fixtures/backends.ts';
import { atEnd } from '../fixtures/pki.ts';
import { eventually, startWorld, type World } from '../fixtures/service.ts';

const DEADLINE_MS = 3000;

/** A target on loopback that reads each request and then misbehaves as `behave` says. */
async function brokenTarget(behave: 'never answers' | 'answers 200, one byte, closes'): Promise<{ url: string; open: () => number; maxOpen: () => number; calls: () => number }> {
  const sockets = new Set<net.Socket>();
  let maxOpen = 0;
  let calls = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    maxOpen = Math.max(maxOpen, sockets.size);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => {
      calls++;
      if (behave === 'answers 200, one byte, closes') {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nx');
        socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  atEnd(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`, open: () => sockets.size, maxOpen: () => maxOpen, calls: () => calls };
}

/** A healthy receiver that notes when each event arrived. */
async function receiver(): Promise<{ url: string; arrivals: Array<{ event: string; at: number }> }> {
  const arrivals: Array<{ event: string; at: number }> = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push({ event: String(req.headers['certpush-event']), at: Date.now() });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  atEnd(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`, arrivals };
}

async function tenantWithWebhook(world: World, name: string, url: string): Promise<{ tid: string; key: string }> {
  const tid = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name })).body.id as string;
  const key = (await world.api(world.operatorKey, 'POST', `/v1/tenants/${tid}/api-keys`, {})).body.key as string;
  const put = await world.api(key, 'PUT', `/v1/tenants/${tid}/webhook`, { url });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  return { tid, key };
}

for (const backend of await backends()) {
  describe(`webhooks per tenant on ${backend.name}`, { skip: backend.skip }, () => {
    for (const behave of ['never answers', 'answers 200, one byte, closes'] as const) {
      it(`while tenant A's target ${behave}, tenant B's webhook (an expiry warning) arrives within 2 s`, async () => {
        const world = await startWorld(backend, { config: { webhookAllowInsecure: true }, service: { background: { webhookIntervalMs: 200, webhookDeadlineMs: DEADLINE_MS } } });
        const stalled = await brokenTarget(behave);
        const healthy = await receiver();
        const a = await tenantWithWebhook(world, 'Stalled', stalled.url);
        const b = await tenantWithWebhook(world, 'Healthy', healthy.url);
        for (let i = 0; i < 20; i++) await emitWebhookEvent(world.service.ctx, a.tid, 'tenant.paused', { reason: `a-${i}` });
        await eventually(async () => (stalled.calls() >= 1 ? true : undefined), 10_000, 'tenant A\'s target to be called');

        const sent = Date.now();
        // What the expiry monitor queues: expiry warnings share the outbox and its per-tenant slots.
        await emitWebhookEvent(world.service.ctx, b.tid, 'certificate.expiring', { kind: 'mdm', daysLeft: 7 });
        const arrived = await eventually(async () => healthy.arrivals[0], 10_000, 'tenant B\'s webhook');
        assert.equal(arrived.event, 'certificate.expiring');
        assert.ok(arrived.at - sent < 2000, `tenant B's webhook took ${arrived.at - sent} ms`);
        assert.ok(stalled.maxOpen() <= WEBHOOK_CONCURRENCY_PER_TENANT, `tenant A had ${stalled.maxOpen()} calls open at once`);
      });
    }

    it('a call that gets no answer ends at the deadline, frees its slot, and is retried later with the reason recorded', async () => {
      const world = await startWorld(backend, { config: { webhookAllowInsecure: true }, service: { background: { webhookIntervalMs: 200, webhookDeadlineMs: DEADLINE_MS } } });
      const stalled = await brokenTarget('never answers');
      const a = await tenantWithWebhook(world, 'Stalled', stalled.url);
      const events = WEBHOOK_CONCURRENCY_PER_TENANT + 2;
      for (let i = 0; i < events; i++) await emitWebhookEvent(world.service.ctx, a.tid, 'tenant.paused', { reason: `a-${i}` });
      // The first calls hold every slot; the others start only once the deadline ends those.
      await eventually(async () => (stalled.calls() >= events ? true : undefined), 4 * DEADLINE_MS, 'every event to get its call');
      assert.ok(stalled.maxOpen() <= WEBHOOK_CONCURRENCY_PER_TENANT);
      const status = await eventually(async () => {
        const r = await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/webhook`);
        const timedOut = r.body.recent.filter((e: { lastError: string | null }) => e.lastError === `no answer within ${DEADLINE_MS / 1000} s`);
        return timedOut.length >= WEBHOOK_CONCURRENCY_PER_TENANT ? r.body : undefined;
      }, 4 * DEADLINE_MS, 'the timed-out calls to be recorded');
      for (const e of status.recent) assert.equal(e.state, 'pending', 'a timed-out call is retried later, not dropped');
    });
  });
}
