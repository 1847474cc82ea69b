import Fastify, { type FastifyInstance } from 'fastify';
import type { ServiceContext } from '../service/context.ts';
import { authenticate } from './auth.ts';
import { consoleRoutes } from './console-routes.ts';
import { type DocsDocument, docsPage } from './docs-page.ts';
import { healthSchema, readinessSchema } from './openapi/probe-schemas.ts';
import { registerOpenApi } from './openapi/register.ts';
import { checkRequestInput } from './input-bounds.ts';
import { errorHandler, problem, sendProblem } from './problem.ts';
import { RequestLog } from './request-log.ts';
import { deviceRoutes } from './routes/devices.ts';
import { mdmRoutes } from './routes/mdm.ts';
import { mdmCheckinRoutes } from './routes/mdm-checkins.ts';
import { mpnsRoutes } from './routes/mpns.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { webhookRoutes } from './routes/webhooks.ts';

/** Default body limit: JSON requests are small; device imports have their own (routes/devices.ts). */
export const BODY_LIMIT = 1024 * 1024;

export interface AppOptions {
  /** pino logger options, or false for none (tests). */
  logger?: boolean | { level: string };
  /** Extra routes (the console, metrics) registered by the caller. */
  extend?: (app: FastifyInstance) => void | Promise<void>;
}

/** The HTTP API as a Fastify instance (not listening): `serve` listens, tests inject. */
export async function buildApp(ctx: ServiceContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new RequestLog(),
    bodyLimit: BODY_LIMIT,
    // nanomdm's push API lists enrollment ids in one path segment (/mdm/push/<id>,<id>,…); Node's
    // 16 KB header limit bounds the whole URL anyway.
    routerOptions: { maxParamLength: 16 * 1024 },
    // Behind a proxy, request ids and client addresses come from it; certpush trusts none by default.
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.decorateRequest('principal', null);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, 'ROUTE_NOT_FOUND', `${request.method} ${request.url.split('?')[0]} is not an endpoint. See /openapi.json.`)));
  for (const type of ['text/csv', 'application/x-ndjson', 'application/jsonl', 'text/plain']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
  await registerOpenApi(app);
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/v1/')) request.principal = await authenticate(ctx.store, request);
  });
  // Before the schemas and handlers: no NUL bytes anywhere, no JSON nested past a bound.
  app.addHook('preValidation', async (request) => checkRequestInput(request));

  app.get('/healthz', { schema: healthSchema }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: readinessSchema }, async (_request, reply) => {
    try {
      await ctx.store.getMeta('ready-check');
      return { status: 'ready', database: ctx.store.database.dialect };
    } catch (error) {
      return sendProblem(reply, problem(503, 'NOT_READY', `The database is not answering: ${(error as Error).message}`));
    }
  });
  tenantRoutes(app, ctx);
  mdmRoutes(app, ctx);
  mdmCheckinRoutes(app, ctx);
  mpnsRoutes(app, ctx);
  deviceRoutes(app, ctx);
  notificationRoutes(app, ctx);
  webhookRoutes(app, ctx);
  consoleRoutes(app);
  await options.extend?.(app);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(app.swagger() as unknown as DocsDocument)));
  await app.ready();
  return app;
}
