import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { requireOperator } from '../auth.ts';
import { json, problems } from '../openapi/responses.ts';

/** The operator's view of the whole service: the vendor signing certificate, queue, tenants. */
export function operatorRoutes(app: FastifyInstance, ctx: ServiceContext, vendorStatus: () => Promise<unknown>): void {
  app.get('/v1/operator/status', {
    schema: {
      operationId: 'getOperatorStatus', summary: 'Vendor signing certificate expiry (from the signer), queue depth, tenant count (operator)', tags: ['operator'],
      response: { 200: json('OperatorStatus', 'The service\'s state', { vendorCertificate: { subject: 'CN=MDM Vendor: Acme', notAfter: '2026-09-01T00:00:00.000Z', daysLeft: 240, checkedAt: '2026-01-05T10:00:00.000Z' }, queueDepth: 0, tenants: 3, database: 'sqlite' }), ...problems(403) },
    },
  }, async (request) => {
    requireOperator(request);
    return {
      vendorCertificate: await vendorStatus(),
      queueDepth: await ctx.store.deliveries.backlog(),
      tenants: (await ctx.store.tenants.list()).length,
      database: ctx.store.database.dialect,
    };
  });
}
