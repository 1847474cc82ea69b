import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { checkinSignatureValid, receiveCheckin, rotateCheckinSecret } from '../../service/mdm-checkins.ts';
import { pushEnrollments } from '../../service/mdm-push.ts';
import { ServiceError } from '../../service/errors.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { deviceView } from '../views.ts';
import { json, problemResponse, problems, WITH_BODY } from '../openapi/responses.ts';
import { tenantParams } from './params.ts';

/** A check-in event is a few KB; a webhook wraps it in Base64 and JSON. Anything bigger is refused (413). */
export const CHECKIN_BODY_LIMIT = 256 * 1024;

/**
 * Where an MDM server meets certpush: check-in events in (nanomdm / MicroMDM webhooks, raw
 * check-in plists), the check-in secret for their HMAC, and nanomdm's push API out.
 */
export function mdmCheckinRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.put('/v1/tenants/:tid/mdm/checkin-secret', {
    schema: {
      operationId: 'rotateMdmCheckinSecret', summary: 'Make a new check-in secret for X-Hmac-Signature (nanomdm -webhook-hmac-key); shown once', tags: ['mdm'], params: tenantParams,
      response: { 200: json('CheckinSecret', 'The new secret; the old one stops working', { secret: 'q3J9…' }), ...problems(404) },
    },
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
        operationId: 'receiveMdmCheckin',
        summary: 'A check-in: a nanomdm or MicroMDM webhook event (application/json) or the device\'s check-in plist (application/x-apple-aspen-mdm-checkin). TokenUpdate registers the enrollment, CheckOut stops pushes to it. Authenticated by the API key (Bearer, or Basic password) or X-Hmac-Signature.',
        tags: ['mdm'], params: tenantParams,
        security: [{ bearer: [] }, { basic: [] }, {}],
        headers: { type: 'object', properties: { 'x-hmac-signature': { type: 'string', description: 'Base64 HMAC-SHA256 of the exact body with the check-in secret (instead of an API key)' } } },
        // Read raw (the signature is over the bytes), so documented here and not validated by Fastify.
        rawBodies: {
          'application/json': { schema: { type: 'object', description: 'A nanomdm or MicroMDM webhook event: {"topic": "mdm.TokenUpdate", "checkin_event": {"raw_payload": "<Base64 plist>", …}}' } },
          'application/x-apple-aspen-mdm-checkin': { schema: { type: 'string', description: 'The device\'s check-in plist (XML), as the device sent it' } },
          'application/xml': { schema: { type: 'string', description: 'The same check-in plist' } },
        },
        response: {
          200: json('CheckinOutcome', 'Applied (or ignored, or a replay): nanomdm and MicroMDM count anything but 200 as a failed webhook', {
            format: 'nanomdm', messageType: 'TokenUpdate', eventId: 'sha256:9f2c…', enrollmentId: '00008030-001A2B3C4D5E6F70', action: 'registered', replayed: false, device: null,
          }),
          ...problems(404, 409, 422, ...WITH_BODY),
        },
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

    const push = (operationId: string) => ({
      config: { basicAuth: true },
      schema: {
        operationId,
        summary: 'nanomdm\'s push API: an MDM push to each enrollment id (comma-separated), through the queue; waits for APNs (up to 10 s)',
        description: 'Answers {"status":{"<id>":{"push_result":"<apns-id>"}|{"push_error":"…"}}} with 200 (all pushed), 207 (some failed) or 500 (all failed). API key as Bearer or as the Basic auth password.',
        tags: ['mdm'],
        security: [{ bearer: [] }, { basic: [] }],
        params: { type: 'object', properties: { tid: { type: 'string', maxLength: 64 }, ids: { type: 'string', maxLength: 16384, description: 'Enrollment ids, comma-separated' } }, required: ['tid', 'ids'] },
        response: {
          200: json('PushAnswer', 'Every enrollment was pushed', { status: { '00008030-001A2B3C4D5E6F70': { push_result: '3b1c…' } }, notification_id: 'ntf_5b7x0c2v9n1m' }),
          207: json('PushAnswer', 'Some enrollments failed: see their push_error'),
          ...problems(404, 422),
          // nanomdm's convention: all failed is a 500 with the same body; a certpush failure is a problem.
          500: { description: 'Every enrollment failed (PushAnswer), or certpush failed (Problem)', content: { ...json('PushAnswer', '').content, ...problemResponse(500).content } },
        },
      },
    }) as const;
    const handler = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
      const { tid, ids } = request.params as { tid: string; ids: string };
      const principal = requireTenantAccess(request, tid);
      const answer = await pushEnrollments(ctx, actorOf(principal), tid, ids.split(',').map((id) => id.trim()).filter((id) => id !== ''));
      return reply.status(answer.httpStatus).send(answer.body);
    };
    raw.get('/v1/tenants/:tid/mdm/push/:ids', push('pushMdmEnrollmentsByGet'), handler);
    raw.post('/v1/tenants/:tid/mdm/push/:ids', push('pushMdmEnrollments'), handler);
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
