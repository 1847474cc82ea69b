/**
 * How @fastify/swagger turns the route schemas into /openapi.json (OpenAPI 3.1): the document's
 * header, shared components named by their `$id`, and the request bodies a route reads itself.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * Request bodies the route parses itself (raw bytes, PEM, multipart): documented in
     * /openapi.json next to `body`, but not validated by Fastify, which would see a Buffer or
     * the parts, not the JSON Schema's shape. Keyed by media type.
     */
    rawBodies?: Record<string, { schema: Record<string, unknown>; description?: string }>;
  }
}

export const API_DESCRIPTION = 'Certificate-authenticated push: tenants, MDM push certificates, MPNS credentials, devices, notifications. '
  + 'Authenticate with "Authorization: Bearer <API key>". Errors are application/problem+json (RFC 9457) with a stable "code".';

const TAGS = [
  { name: 'tenants', description: 'Tenants, their API keys and audit log' },
  { name: 'mdm', description: 'The MDM push certificate from CSR to renewal; check-ins and nanomdm\'s push API' },
  { name: 'mpns', description: 'The MPNS authenticated web service certificate' },
  { name: 'devices', description: 'Device registration, import and listing' },
  { name: 'notifications', description: 'Sending, and delivery reports' },
  { name: 'webhooks', description: 'Events certpush calls the tenant about' },
  { name: 'operator', description: 'The whole service, for operators' },
  { name: 'service', description: 'Liveness and readiness probes (no key)' },
];

export const swaggerOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: { title: 'certpush API', version: '1', description: API_DESCRIPTION },
    tags: TAGS,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An operator or tenant API key' },
        basic: { type: 'http', scheme: 'basic', description: 'Check-ins and nanomdm\'s push API: any user name, the API key as the password' },
      },
    },
    security: [{ bearer: [] }],
  },
  // Components keep their own names ("Problem", "Tenant"), not def-0, def-1…
  refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  transform: ({ schema, url }) => ({ schema: withRawBodies(schema), url }),
  transformObject: (document) => optionalBodies('openapiObject' in document ? document.openapiObject : document.swaggerObject),
};

/** Fold `rawBodies` into `body` as more media types beside application/json. */
function withRawBodies(schema: FastifySchema): FastifySchema {
  if (!schema?.rawBodies) return schema;
  const { rawBodies, body, ...rest } = schema;
  const content: Record<string, { schema: unknown }> = !body ? {} : isContentKeyed(body) ? { ...body.content } : { 'application/json': { schema: body } };
  for (const [type, media] of Object.entries(rawBodies)) content[type] = { schema: media.description ? { ...media.schema, description: media.description } : media.schema };
  return { ...rest, body: { content } };
}

function isContentKeyed(body: unknown): body is { content: Record<string, { schema: unknown }> } {
  return typeof body === 'object' && body !== null && 'content' in body;
}

/**
 * @fastify/swagger marks every request body required; one whose JSON form has no required
 * field may be left out (an empty POST), so say so.
 */
function optionalBodies<T>(document: T): T {
  const paths = (document as { paths?: Record<string, Record<string, { requestBody?: { required?: boolean; content?: Record<string, { schema?: { type?: string; required?: unknown[] } }> } }>> }).paths ?? {};
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      const body = operation.requestBody;
      const jsonBody = body?.content?.['application/json']?.schema;
      if (body && Object.keys(body.content ?? {}).length === 1 && jsonBody?.type === 'object' && !jsonBody.required?.length) body.required = false;
    }
  }
  return document;
}
