import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { checkinSignatureValid, receiveCheckin, rotateCheckinSecret } from '../../service/mdm-checkins.ts';
import { pushEnrollments } from '../../service/mdm-push.ts';
import { ServiceError } from '../../service/errors.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { deviceView } from '../views.ts';
import { tenantParams } from './params.ts';

/** A check-in event is a few KB; a webhook wraps it in Base64 and JSON. Anything bigger is refused (413). */
export const CHECKIN_BODY_LIMIT = 256 * 1024;

/**
 * Where an MDM server meets certpush: check-in events in (nanomdm / MicroMDM webhooks, raw
 * check-in plists), the check-in secret for their HMAC, and nanomdm's push API out.
 */
export function mdmCheckinRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.put('/v1/tenants/:tid/mdm/checkin-secret', {
    schema: { summary: 'Make a new check-in secret for X-Hmac-Signature (nanomdm -webhook-hmac-key); shown once', tags: ['mdm'], params: tenantParams },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    return rotateCheckinSecret(ctx, actorOf(principal), tid);
  });

  // The signature is over the bytes as sent, so this scope reads bodies raw, whatever their type.
  app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: CHECKIN_BODY_LIMIT }, (_request, body, done) => done(null, body));

    raw.post('/v1/tenants/:tid/mdm/checkin-events', {
      bodyLimit: CHECKIN_BODY_LIMIT,
      config: { basicAuth: true },
      schema: {
        summary: 'A check-in: a nanomdm or MicroMDM webhook event (application/json) or the device\'s check-in plist (application/x-apple-aspen-mdm-checkin). TokenUpdate registers the enrollment, CheckOut stops pushes to it. Authenticated by the API key (Bearer, or Basic password) or X-Hmac-Signature.',
        tags: ['mdm'], params: tenantParams,
      },
    }, async (request) => {
      const { tid } = request.params as { tid: string };
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      await authorizeCheckin(ctx, request, tid, body);
      if (body.length === 0) throw new ServiceError('CHECKIN_EMPTY', 'The check-in body is empty: send the webhook event or the check-in plist.');
      const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const outcome = await receiveCheckin(ctx, tid, body, type);
      // nanomdm and MicroMDM count anything but 200 as a failed webhook.
      return { ...outcome, device: outcome.device ? deviceView(outcome.device) : null };
    });

    const push = {
      config: { basicAuth: true },
      schema: {
        summary: 'nanomdm\'s push API: an MDM push to each enrollment id (comma-separated), through the queue; waits for APNs (up to 10 s) and answers {"status":{"<id>":{"push_result":"<apns-id>"}|{"push_error":"…"}}} with 200 (all pushed), 207 (some failed) or 500 (all failed). API key as Bearer or as the Basic auth password.',
        tags: ['mdm'],
        params: { type: 'object', properties: { tid: { type: 'string', maxLength: 64 }, ids: { type: 'string', maxLength: 16384 } }, required: ['tid', 'ids'] },
      },
    } as const;
    const handler = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
      const { tid, ids } = request.params as { tid: string; ids: string };
      const principal = requireTenantAccess(request, tid);
      const answer = await pushEnrollments(ctx, actorOf(principal), tid, ids.split(',').map((id) => id.trim()).filter((id) => id !== ''));
      return reply.status(answer.httpStatus).send(answer.body);
    };
    raw.get('/v1/tenants/:tid/mdm/push/:ids', push, handler);
    raw.post('/v1/tenants/:tid/mdm/push/:ids', push, handler);
  });
}

/** The tenant's API key (checked by the onRequest hook), or else a valid X-Hmac-Signature. */
async function authorizeCheckin(ctx: ServiceContext, request: FastifyRequest, tid: string, body: Buffer): Promise<void> {
  if (request.principal) {
    requireTenantAccess(request, tid);
    return;
  }
  const signature = request.headers['x-hmac-signature'];
  if (typeof signature !== 'string' || signature.trim() === '') {
    throw new ServiceError('AUTH_REQUIRED', 'A check-in needs the tenant\'s API key ("Authorization: Bearer <key>", or Basic auth with the key as password) or an X-Hmac-Signature made with the tenant\'s check-in secret (PUT …/mdm/checkin-secret; nanomdm: -webhook-hmac-key).');
  }
  if (!(await checkinSignatureValid(ctx, tid, body, signature))) {
    throw new ServiceError('CHECKIN_BAD_SIGNATURE', 'X-Hmac-Signature does not match the body: it must be the Base64 HMAC-SHA256 of the exact body with this tenant\'s check-in secret. Give nanomdm the secret PUT …/mdm/checkin-secret returned as -webhook-hmac-key (a new PUT replaces it).');
  }
}
