import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { generateMdmCsr, getMdmCert, importPushCertificate, requestSignature, uploadSignedRequest } from '../../service/mdm-push-cert.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { pushCertificateJson } from '../certificate-uploads.ts';
import { replyProblem } from '../problem.ts';
import { tenantParams } from './params.ts';


/** The tenant's MDM push certificate, from CSR to renewal. */
export function mdmRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/v1/tenants/:tid/mdm/csr', {
    schema: {
      summary: 'Generate the tenant\'s key and CSR inside certpush (starts a renewal when a certificate is active)', tags: ['mdm'], params: tenantParams,
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          email: { type: 'string', maxLength: 128, format: 'email' },
          org: { type: 'string', maxLength: 64 },
          country: { type: 'string', pattern: '^[A-Za-z]{2}$' },
        },
      },
    },
  }, async (request, reply) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const view = await generateMdmCsr(ctx, actorOf(principal), tid, (request.body ?? {}) as { email?: string; org?: string; country?: string });
    return reply.status(201).send({ ...view, csr: view.pendingCsr });
  });

  app.post('/v1/tenants/:tid/mdm/push-cert-request', { schema: { summary: 'Have the configured vendor signer sign the pending CSR; returns the Base64 request for Apple\'s portal', tags: ['mdm'], params: tenantParams } }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const view = await requestSignature(ctx, actorOf(principal), tid);
    return { ...view, request: view.pendingRequest };
  });

  app.put('/v1/tenants/:tid/mdm/push-cert-request', {
    schema: {
      summary: 'Upload a request the vendor signed offline (certpush mdm vendor-sign)', tags: ['mdm'], params: tenantParams,
      body: { type: 'object', properties: { request: { type: 'string', minLength: 1, maxLength: 65536 } }, required: ['request'], additionalProperties: false },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const view = await uploadSignedRequest(ctx, actorOf(principal), tid, (request.body as { request: string }).request);
    return { ...view, request: view.pendingRequest };
  });

  app.get('/v1/tenants/:tid/mdm/push-cert-request', { schema: { summary: 'Download the signed request (text/plain) to upload at identity.apple.com/pushcert', tags: ['mdm'], params: tenantParams } }, async (request, reply) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    const view = await getMdmCert(ctx, tid);
    if (!view.pendingRequest) return replyProblem(reply, 'MDM_NO_REQUEST', 'There is no signed request waiting for Apple. Create a CSR and have it signed first.');
    return reply.type('text/plain').header('content-disposition', 'attachment; filename="push-cert-request.b64"').send(`${view.pendingRequest}\n`);
  });

  app.put('/v1/tenants/:tid/mdm/push-cert', {
    // Besides JSON, the file as it is: PEM, DER, Base64 text, or multipart (certificate-uploads.ts).
    config: { certificateUpload: pushCertificateJson },
    schema: {
      summary: 'Import Apple\'s MDM push certificate (PEM, Base64 DER, or PKCS#12 with password)', tags: ['mdm'], params: tenantParams,
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          certificate: { type: 'string', maxLength: 65536, description: 'PEM, or Base64 of DER' },
          pkcs12: { type: 'string', maxLength: 65536, description: 'Base64 of a .p12' },
          password: { type: 'string', maxLength: 1024 },
          force: { type: 'boolean', description: 'Replace even if the topic changes: enrolled devices will stop answering' },
        },
      },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const body = request.body as { certificate?: string; pkcs12?: string; password?: string; force?: boolean };
    const data = body.pkcs12 ? Buffer.from(body.pkcs12, 'base64') : body.certificate?.includes('-----BEGIN') ? body.certificate : Buffer.from(body.certificate ?? '', 'base64');
    return importPushCertificate(ctx, actorOf(principal), tid, { data, password: body.password, force: body.force });
  });

  app.get('/v1/tenants/:tid/mdm/push-cert', { schema: { summary: 'The push certificate: state, topic, expiry, days left (never the key)', tags: ['mdm'], params: tenantParams } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    return getMdmCert(ctx, tid);
  });
}
