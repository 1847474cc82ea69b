import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { getMpnsCredential, putMpnsCredential } from '../../service/mpns-credential.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { json, problems, WITH_BODY } from '../openapi/responses.ts';
import { mpnsCredentialJson } from '../certificate-uploads.ts';
import { tenantParams } from './params.ts';


/** The tenant's MPNS authenticated web service certificate. */
export function mpnsRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.put('/v1/tenants/:tid/mpns/credential', {
    // Besides JSON: PEM holding the certificate and key, or multipart with a PKCS#12 and its password.
    config: { certificateUpload: mpnsCredentialJson },
    schema: {
      operationId: 'installMpnsCredential', summary: 'Install the MPNS web service certificate (PKCS#12 or PEM); returns the Service Name', tags: ['mpns'], params: tenantParams,
      description: 'Give {"pkcs12": "<Base64>", "password": "…"} or {"certificate": "<PEM>", "key": "<PEM>"}. The certificate must allow client authentication and chain to an allowed MPNS root.',
      // Content-keyed: only JSON is validated here, so other upload forms stay possible.
      body: { content: { 'application/json': { schema: {
        type: 'object', additionalProperties: false,
        properties: {
          pkcs12: { type: 'string', maxLength: 65536, description: 'Base64 of a .p12/.pfx' }, password: { type: 'string', maxLength: 1024 },
          certificate: { type: 'string', maxLength: 65536, description: 'PEM, with any intermediates' }, key: { type: 'string', maxLength: 65536, description: 'PEM private key' },
        },
        examples: [{ certificate: '-----BEGIN CERTIFICATE-----\n…', key: '-----BEGIN PRIVATE KEY-----\n…' }],
      } } } },
      response: { 200: json('MpnsCredential', 'Installed; report lists the checks it passed'), ...problems(404, 422, ...WITH_BODY) },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    return putMpnsCredential(ctx, actorOf(principal), tid, request.body as Record<string, string>);
  });

  app.get('/v1/tenants/:tid/mpns/credential', { schema: { operationId: 'getMpnsCredential', summary: 'The MPNS credential: Service Name and expiry', tags: ['mpns'], params: tenantParams, response: { 200: json('MpnsCredential', 'The credential (never the key)'), ...problems(404) } } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    return getMpnsCredential(ctx, tid);
  });
}
