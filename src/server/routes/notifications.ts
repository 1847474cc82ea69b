import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { unprocessable } from '../../service/errors.ts';
import { notificationReport, type SendRequest, sendNotification } from '../../service/notifications.ts';
import { requireTenant } from '../../service/tenants.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { json, problems, WITH_BODY } from '../openapi/responses.ts';
import { tenantParams, notificationParams } from './params.ts';


export function notificationRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/v1/tenants/:tid/notifications', {
    schema: {
      operationId: 'sendNotification', summary: 'Send a notification to devices or to all; answers 202 with its id. Idempotency-Key makes retries safe.', tags: ['notifications'], params: tenantParams,
      description: 'Targets: devices (ids), enrollmentIds (MDM), or all. Payload: "mdm": true (an MDM push), or "mpns": {"type":"toast"|"tile"|"raw", …}. Delivery is asynchronous: follow Location to the report.',
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 200, description: 'A retry with the same key and body returns the first notification (replayed: true)' } } },
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          devices: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 10000 },
          enrollmentIds: { type: 'array', items: { type: 'string', maxLength: 300 }, maxItems: 10000, description: 'MDM enrollment ids (UDIDs, or "<UDID>:<UserID>") instead of device ids' },
          all: { type: 'boolean' },
          mdm: { type: 'boolean' },
          apns: { type: 'object' },
          mpns: { type: 'object' },
          // Integer first: with type coercion on, a string branch first would turn UNIX seconds
          // into a string, which then parses as no date at all.
          expiration: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', maxLength: 64 }], description: 'UNIX seconds or ISO 8601: undelivered after this, a delivery expires' },
        },
        examples: [{ all: true, mdm: true }],
      },
      response: {
        202: {
          ...json('SentNotification', 'Queued; Location is the delivery report', { id: 'ntf_5b7x0c2v9n1m', total: 120, replayed: false }),
          headers: { location: { type: 'string', description: 'The delivery report: /v1/tenants/{tid}/notifications/{nid}' } },
        },
        ...problems(404, 409, 422, ...WITH_BODY),
      },
    },
  }, async (request, reply) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const key = request.headers['idempotency-key'];
    if (Array.isArray(key)) throw unprocessable('IDEMPOTENCY_KEY', 'Send one Idempotency-Key header.');
    const { notification, replayed } = await sendNotification(ctx, actorOf(principal), tid, request.body as SendRequest, key ?? null);
    return reply.status(202).header('location', `/v1/tenants/${tid}/notifications/${notification.id}`).send({ id: notification.id, total: notification.total, replayed });
  });

  app.get('/v1/tenants/:tid/notifications', { schema: { operationId: 'listNotifications', summary: 'Recent notifications', tags: ['notifications'], params: tenantParams, response: { 200: json('NotificationList', 'Newest first'), ...problems(404) } } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    await requireTenant(ctx, tid);
    const items = await ctx.store.notifications.list(tid);
    return { items: items.map((n) => ({ id: n.id, total: n.total, createdAt: new Date(n.createdAt).toISOString(), completedAt: n.completedAt ? new Date(n.completedAt).toISOString() : null })) };
  });

  app.get('/v1/tenants/:tid/notifications/:nid', {
    schema: {
      operationId: 'getNotificationReport', summary: 'Delivery report: counts by outcome, per-device results (paged), deliveries over time', tags: ['notifications'],
      params: notificationParams,
      querystring: { type: 'object', additionalProperties: false, properties: { cursor: { type: 'string', maxLength: 32 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
      response: {
        200: json('NotificationReport', 'The report; results are paged with cursor', {
          id: 'ntf_5b7x0c2v9n1m', createdAt: '2026-01-05T10:00:00.000Z', completedAt: '2026-01-05T10:00:02.000Z', expiresAt: null, total: 2,
          counts: { pending: 0, retrying: 0, delivered: 1, invalid: 1, rejected: 0, expired: 0, failed: 0 }, detailExpiredAt: null,
          timeline: [{ second: 0, delivered: 1 }],
          results: [{ deviceId: 'dev_8d2k1m0q7w3e', platform: 'mdm', token: '5f1c…', state: 'delivered', attempts: 1, class: 'delivered', status: 200, reason: null, updatedAt: '2026-01-05T10:00:01.000Z', nextAttemptAt: null }],
          nextCursor: null,
        }),
        ...problems(404),
      },
    },
  }, async (request) => {
    const { tid, nid } = request.params as { tid: string; nid: string };
    requireTenantAccess(request, tid);
    const q = request.query as { cursor?: string; limit: number };
    return notificationReport(ctx, tid, nid, { after: q.cursor, limit: q.limit });
  });
}
