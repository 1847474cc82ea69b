import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ServiceContext } from '../service/context.ts';
import { authenticate } from './auth.ts';
import { acceptCertificateUploads, certificateUploadAsJson } from './certificate-uploads.ts';
import { consoleRoutes } from './console-routes.ts';
import { type DocsDocument, docsPage } from './docs-page.ts';
import { healthSchema, readinessSchema } from './openapi/probe-schemas.ts';
import { registerOpenApi } from './openapi/register.ts';
import { checkRequestInput } from './input-bounds.ts';
import { errorHandler, replyProblem } from './problem.ts';
import { RequestLog } from './request-log.ts';
import { RouteMethods } from './route-methods.ts';
import { deviceRoutes } from './routes/devices.ts';
import { mdmRoutes } from './routes/mdm.ts';
import { mdmCheckinRoutes } from './routes/mdm-checkins.ts';
import { mpnsRoutes } from './routes/mpns.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { buildValidators } from './validators.ts';
import { enterArrival } from '../store/arrival-order.ts';

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;

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
    // Strict types in bodies, text-to-number only in query strings and paths (validators.ts).
    // (Fastify types the factory as @fastify/ajv-compiler's; it calls it as a schema compiler.)
    schemaController: { compilersFactory: { buildValidator: buildValidators as unknown as ValidatorFactory } },
  });
  app.decorateRequest('principal', null);
  // When the request arrived (performance.now()), for the order its database work is served in
  // (store/arrival-order.ts). Fastify's own start time exists only with a logger.
  app.decorateRequest('arrivedAt', 0);
  app.addHook('onRequest', (request, _reply, done) => {
    request.arrivedAt = performance.now();
    done();
  });
  app.setErrorHandler(errorHandler);
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route.method, route.url));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = routeMethods.allowed(path);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return replyProblem(reply, 'METHOD_NOT_ALLOWED', `${path} does not take ${request.method}; it takes ${allowed.join(', ')}. See /openapi.json.`);
    }
    return replyProblem(reply, 'ROUTE_NOT_FOUND', `${request.method} ${path} is not an endpoint. See /openapi.json.`);
  });
  // An empty JSON body is an empty object: POSTs whose fields are all optional need none, and
  // those with required fields then name what is missing.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => (body === '' ? done(null, {}) : parseJson(request, String(body), done)));
  for (const type of ['text/csv', 'application/x-ndjson', 'application/jsonl', 'text/plain']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
  await acceptCertificateUploads(app);
  await registerOpenApi(app);
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/v1/')) request.principal = await authenticate(ctx.store, request);
  });
  // Before the schemas and handlers: a certificate file becomes its route's JSON; a POST or
  // PUT sent without any body (and so without a Content-Type) is an empty object; no NUL bytes
  // anywhere, no JSON nested past a bound.
  app.addHook('preValidation', async (request) => {
    await certificateUploadAsJson(request);
    if (request.body === undefined && request.routeOptions.schema?.body) request.body = {};
    checkRequestInput(request);
  });

  // The rest of the request (its handler's database work) is ordered by when the request
  // arrived (store/arrival-order.ts), set here, after the body is read: a body's 'data' events
  // run in the connection's context, not the request's.
  app.addHook('preHandler', (request, _reply, done) => {
    enterArrival(request.arrivedAt);
    done();
  });

  app.get('/healthz', { schema: healthSchema }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: readinessSchema }, async (_request, reply) => {
    try {
      await ctx.store.getMeta('ready-check');
      return { status: 'ready', database: ctx.store.database.dialect };
    } catch (error) {
      return replyProblem(reply, 'NOT_READY', `The database is not answering: ${(error as Error).message}`);
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
