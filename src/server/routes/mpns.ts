import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { getMpnsCredential, putMpnsCredential } from '../../service/mpns-credential.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { mpnsCredentialJson } from '../certificate-uploads.ts';
import { tenantParams } from './params.ts';


/** The tenant's MPNS authenticated web service certificate. */
export function mpnsRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.put('/v1/tenants/:tid/mpns/credential', {
    // Besides JSON: PEM holding the certificate and key, or multipart with a PKCS#12 and its password.
    config: { certificateUpload: mpnsCredentialJson },
    schema: {
      summary: 'Install the MPNS web service certificate (PKCS#12 or PEM); returns the Service Name', tags: ['mpns'], params: tenantParams,
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          pkcs12: { type: 'string', maxLength: 65536 }, password: { type: 'string', maxLength: 1024 },
          certificate: { type: 'string', maxLength: 65536 }, key: { type: 'string', maxLength: 65536 },
        },
      },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    return putMpnsCredential(ctx, actorOf(principal), tid, request.body as Record<string, string>);
  });

  app.get('/v1/tenants/:tid/mpns/credential', { schema: { summary: 'The MPNS credential: Service Name and expiry', tags: ['mpns'], params: tenantParams } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    return getMpnsCredential(ctx, tid);
  });
}
