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
  await app.register(swagger, swaggerOptions);
}
