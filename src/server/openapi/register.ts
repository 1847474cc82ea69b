import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { componentSchemas } from './components.ts';
import { swaggerOptions } from './swagger-options.ts';

/**
 * The shared component schemas (before any route refers to them) and the OpenAPI generator.
 * Every route registered after this is in /openapi.json unless its schema says `hide`.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  for (const schema of componentSchemas) app.addSchema(schema);
  // The response schemas document; they do not serialize. Fastify would compile a
  // fast-json-stringify serializer per route, status and media type (~260 here, each with all
  // the shared schemas: seconds at every start) and then silently drop any field a schema
  // does not list. JSON.stringify sends what the handler built, and the API tests check every
  // response against /openapi.json (additionalProperties: false), so a field the contract
  // does not describe fails a test instead of vanishing.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, swaggerOptions);
}
