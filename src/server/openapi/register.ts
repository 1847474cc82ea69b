import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { componentSchemas } from './components.ts';
import { json, problems } from './responses.ts';
import { swaggerOptions } from './swagger-options.ts';

/**
 * The shared component schemas (before any route refers to them) and the OpenAPI generator.
 * Every route registered after this is in /openapi.json unless its schema says `hide`.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  for (const schema of componentSchemas) app.addSchema(schema);
  await app.register(swagger, swaggerOptions);
}

/** The probes in app.ts: no key needed, so no 401. */
export const healthSchema = {
  operationId: 'getHealth', summary: 'Liveness: the process answers', tags: ['service'], security: [],
  response: { 200: json('Health', 'The process is up', { status: 'ok' }) },
};

export const readinessSchema = {
  operationId: 'getReadiness', summary: 'Readiness: the database answers', tags: ['service'], security: [],
  response: { 200: json('Readiness', 'Ready to serve', { status: 'ready', database: 'sqlite' }), 503: problems(503)[503]! },
};
