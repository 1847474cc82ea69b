import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { requireOperator } from '../auth.ts';

/** The operator's view of the whole service: the vendor signing certificate, queue, tenants. */
export function operatorRoutes(app: FastifyInstance, ctx: ServiceContext, vendorStatus: () => Promise<unknown>): void {
  app.get('/v1/operator/status', { schema: { summary: 'Vendor signing certificate expiry (from the signer), queue depth, tenant count (operator)', tags: ['operator'] } }, async (request) => {
    requireOperator(request);
    return {
      vendorCertificate: await vendorStatus(),
      queueDepth: await ctx.store.deliveries.backlog(),
      tenants: (await ctx.store.tenants.list()).length,
      database: ctx.store.database.dialect,
    };
  });
}
