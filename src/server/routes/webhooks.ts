import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { deleteWebhook, getWebhook, putWebhook, WEBHOOK_EVENTS } from '../../service/webhooks.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { json, noContent, problems, WITH_BODY } from '../openapi/responses.ts';
import { tenantParams } from './params.ts';


export function webhookRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.put('/v1/tenants/:tid/webhook', {
    schema: {
      operationId: 'registerWebhook', summary: 'Register the tenant\'s webhook; answers with the signing secret, once. Calls carry Certpush-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")', tags: ['webhooks'], params: tenantParams,
      body: {
        type: 'object', additionalProperties: false, required: ['url'],
        properties: { url: { type: 'string', maxLength: 2048, description: 'https URL certpush POSTs events to' }, events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENTS] }, uniqueItems: true, description: 'Default: all' } },
        examples: [{ url: 'https://hooks.example.com/certpush', events: ['certificate.expiring', 'device.invalidated'] }],
      },
      response: { 200: json('Webhook', 'Registered; secret is shown this once', { url: 'https://hooks.example.com/certpush', events: ['certificate.expiring', 'device.invalidated'], secret: 'whsec_…' }), ...problems(404, 422, ...WITH_BODY) },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    return putWebhook(ctx, actorOf(principal), tid, request.body as { url: string; events?: string[] });
  });

  app.get('/v1/tenants/:tid/webhook', { schema: { operationId: 'getWebhook', summary: 'The tenant\'s webhook and recent events', tags: ['webhooks'], params: tenantParams, response: { 200: json('Webhook', 'The webhook (never the secret) and its latest 20 events'), ...problems(404) } } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    const view = await getWebhook(ctx, tid);
    const recent = await ctx.store.webhookEvents.list(tid, 20);
    return { ...view, recent: recent.map((e) => ({ id: e.id, event: e.event, state: e.state, attempts: e.attempts, lastError: e.lastError, createdAt: new Date(e.createdAt).toISOString() })) };
  });

  app.delete('/v1/tenants/:tid/webhook', { schema: { operationId: 'deleteWebhook', summary: 'Remove the tenant\'s webhook', tags: ['webhooks'], params: tenantParams, response: { 204: noContent('Removed'), ...problems(404) } } }, async (request, reply) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    await deleteWebhook(ctx, actorOf(principal), tid);
    return reply.status(204).send();
  });
}
