import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { generateMdmCsr, getMdmCert, importPushCertificate, requestSignature, uploadSignedRequest } from '../../service/mdm-push-cert.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { json, problems, WITH_BODY } from '../openapi/responses.ts';
import { pushCertificateJson } from '../certificate-uploads.ts';
import { replyProblem } from '../problem.ts';
import { tenantParams } from './params.ts';


/** The tenant's MDM push certificate, from CSR to renewal. */
export function mdmRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/v1/tenants/:tid/mdm/csr', {
    schema: {
      operationId: 'createMdmCsr', summary: 'Generate the tenant\'s key and CSR inside certpush (starts a renewal when a certificate is active)', tags: ['mdm'], params: tenantParams,
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          email: { type: 'string', maxLength: 128, format: 'email' },
          org: { type: 'string', maxLength: 64 },
          country: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166 two-letter code' },
        },
        examples: [{ email: 'mdm@example.com', org: 'Acme Corp', country: 'US' }],
      },
      response: { 201: json('MdmCert', 'The CSR (in csr and pendingCsr); state awaiting-signature, or renewing'), ...problems(404, 409, 422, ...WITH_BODY) },
    },
  }, async (request, reply) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const view = await generateMdmCsr(ctx, actorOf(principal), tid, (request.body ?? {}) as { email?: string; org?: string; country?: string });
    return reply.status(201).send({ ...view, csr: view.pendingCsr });
  });

  app.post('/v1/tenants/:tid/mdm/push-cert-request', { schema: { operationId: 'signMdmPushCertRequest', summary: 'Have the configured vendor signer sign the pending CSR; returns the Base64 request for Apple\'s portal', tags: ['mdm'], params: tenantParams, response: { 200: json('MdmCert', 'The signed request (in request and pendingRequest); state awaiting-apple'), ...problems(404, 409, 422, 502) } } }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const view = await requestSignature(ctx, actorOf(principal), tid);
    return { ...view, request: view.pendingRequest };
  });

  app.put('/v1/tenants/:tid/mdm/push-cert-request', {
    schema: {
      operationId: 'uploadMdmPushCertRequest', summary: 'Upload a request the vendor signed offline (certpush mdm vendor-sign)', tags: ['mdm'], params: tenantParams,
      body: {
        type: 'object', properties: { request: { type: 'string', minLength: 1, maxLength: 65536, description: 'The Base64 plist certpush mdm vendor-sign wrote' } }, required: ['request'], additionalProperties: false,
        examples: [{ request: 'PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz4K…' }],
      },
      response: { 200: json('MdmCert', 'The request is checked and stored; state awaiting-apple'), ...problems(404, 409, 422, ...WITH_BODY) },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const view = await uploadSignedRequest(ctx, actorOf(principal), tid, (request.body as { request: string }).request);
    return { ...view, request: view.pendingRequest };
  });

  app.get('/v1/tenants/:tid/mdm/push-cert-request', {
    schema: {
      operationId: 'downloadMdmPushCertRequest', summary: 'Download the signed request (text/plain) to upload at identity.apple.com/pushcert', tags: ['mdm'], params: tenantParams,
      response: {
        200: { description: 'The Base64 request, as a file (push-cert-request.b64)', content: { 'text/plain': { schema: { type: 'string', description: 'Base64 of the signed plist, one line' } } } },
        ...problems(404),
      },
    },
  }, async (request, reply) => {
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
      operationId: 'importMdmPushCert', summary: 'Import Apple\'s MDM push certificate (PEM, Base64 DER, or PKCS#12 with password)', tags: ['mdm'], params: tenantParams,
      description: 'The certificate Apple issued for the signed request. Send it as JSON, or as the file itself: '
        + '`curl --data-binary @MDM_Certificate.pem -H \'content-type: application/x-pem-file\'`, or a PKCS#12 with its password: `curl -F file=@push.p12 -F password=…`. '
        + 'The certificate must match the key certpush holds (its CSR); a new topic is refused unless force is true.',
      // Only JSON is validated here: the other media types (rawBodies) are parsed by the upload code.
      body: { content: { 'application/json': { schema: {
        type: 'object', additionalProperties: false,
        properties: {
          certificate: { type: 'string', maxLength: 65536, description: 'PEM, or Base64 of DER' },
          pkcs12: { type: 'string', maxLength: 65536, description: 'Base64 of a .p12' },
          password: { type: 'string', maxLength: 1024 },
          force: { type: 'boolean', description: 'Replace even if the topic changes: enrolled devices will stop answering' },
        },
        examples: [{ certificate: '-----BEGIN CERTIFICATE-----\nMIIF…\n-----END CERTIFICATE-----\n' }],
      } } } },
      rawBodies: {
        'application/x-pem-file': { schema: { type: 'string' }, description: 'The PEM certificate as Apple\'s portal gives it (MDM_….pem)' },
        'application/pkix-cert': { schema: { type: 'string', contentMediaType: 'application/pkix-cert' }, description: 'The certificate as DER bytes (a .cer file)' },
        'text/plain': { schema: { type: 'string' }, description: 'Base64 of the DER certificate, or PEM text' },
        'multipart/form-data': {
          schema: {
            type: 'object', required: ['file'],
            properties: {
              file: { type: 'string', contentMediaType: 'application/octet-stream', description: 'PKCS#12 (.p12), PEM, DER or Base64' },
              password: { type: 'string', description: 'The PKCS#12 password' },
              force: { type: 'string', enum: ['true', 'false'], description: 'As the JSON force' },
            },
          },
          description: 'A form upload: curl -F file=@push.p12 -F password=…',
        },
      },
      response: {
        200: json('MdmCert', 'Imported: state active; warnings lists what was noticed but accepted', {
          state: 'active', topic: 'com.apple.mgmt.External.1f0d4a8c-0d1c-4b71-9a51-2b2f5c7b3e11', notAfter: '2027-01-05T10:00:00.000Z', daysLeft: 365,
          fingerprint: 'a1b2…', subject: 'CN=APSP:1f0d4a8c-…, UID=com.apple.mgmt.External.1f0d4a8c-…', pendingCsr: null, pendingRequest: null, requiredTopic: null,
          issuer: { apple: true, name: 'Apple Application Integration 2 Certification Authority', root: 'Apple Root CA' }, warnings: [],
        }),
        ...problems(404, 409, 422, ...WITH_BODY),
      },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const body = request.body as { certificate?: string; pkcs12?: string; password?: string; force?: boolean };
    const data = body.pkcs12 ? Buffer.from(body.pkcs12, 'base64') : body.certificate?.includes('-----BEGIN') ? body.certificate : Buffer.from(body.certificate ?? '', 'base64');
    return importPushCertificate(ctx, actorOf(principal), tid, { data, password: body.password, force: body.force });
  });

  app.get('/v1/tenants/:tid/mdm/push-cert', { schema: { operationId: 'getMdmPushCert', summary: 'The push certificate: state, topic, expiry, days left (never the key)', tags: ['mdm'], params: tenantParams, response: { 200: json('MdmCert', 'The certificate\'s state'), ...problems(404) } } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    return getMdmCert(ctx, tid);
  });
}
