import type { FastifyInstance } from 'fastify';
import { daysLeft, parseCertificate } from '../../pki/certificate.ts';
import type { ServiceContext } from '../../service/context.ts';
import { describeMdmCert } from '../../service/mdm-push-cert.ts';
import { createTenant, createTenantApiKey, requireTenant } from '../../service/tenants.ts';
import type { Tenant } from '../../store/tenants.ts';
import { actorOf, requireOperator, requirePrincipal, requireTenantAccess } from '../auth.ts';
import { tenantParams } from './params.ts';


/** Tenants, their API keys and audit log. */
export function tenantRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  async function summary(tenant: Tenant) {
    const now = ctx.now();
    const mdm = describeMdmCert(await ctx.store.mdmCerts.get(tenant.id), now);
    const mpns = await ctx.store.mpnsCredentials.get(tenant.id);
    return {
      id: tenant.id,
      name: tenant.name,
      createdAt: new Date(tenant.createdAt).toISOString(),
      paused: tenant.pausedReason ? { reason: tenant.pausedReason, since: new Date(tenant.pausedAt ?? 0).toISOString() } : null,
      mdm: { state: mdm.state, topic: mdm.topic, notAfter: mdm.notAfter, daysLeft: mdm.daysLeft },
      mpns: mpns ? { serviceName: mpns.serviceName, notAfter: new Date(mpns.notAfter).toISOString(), daysLeft: daysLeft(parseCertificate(mpns.certPem), now) } : null,
      devices: await ctx.store.devices.count(tenant.id),
    };
  }

  app.post('/v1/tenants', {
    schema: {
      summary: 'Create a tenant (operator)', tags: ['tenants'],
      body: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['name'], additionalProperties: false },
    },
  }, async (request, reply) => {
    const principal = requireOperator(request);
    const tenant = await createTenant(ctx, actorOf(principal), (request.body as { name: string }).name);
    return reply.status(201).send(await summary(tenant));
  });

  app.get('/v1/tenants', { schema: { summary: 'List tenants with credential state (operator: all; tenant key: its own)', tags: ['tenants'] } }, async (request) => {
    const principal = requirePrincipal(request);
    const tenants = principal.kind === 'operator' ? await ctx.store.tenants.list() : [await requireTenant(ctx, principal.tenantId!)];
    return { items: await Promise.all(tenants.map(summary)) };
  });

  app.get('/v1/whoami', { schema: { summary: 'What the API key reaches: operator (every tenant) or one tenant', tags: ['tenants'] } }, async (request) => {
    const principal = requirePrincipal(request);
    const tenant = principal.tenantId ? await requireTenant(ctx, principal.tenantId) : null;
    return { kind: principal.kind, keyId: principal.keyId, tenant: tenant ? { id: tenant.id, name: tenant.name } : null };
  });

  app.get('/v1/tenants/:tid', { schema: { summary: 'One tenant', tags: ['tenants'], params: tenantParams } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    return summary(await requireTenant(ctx, tid));
  });

  app.post('/v1/tenants/:tid/api-keys', {
    schema: {
      summary: 'Create a tenant API key (operator); the key is shown once', tags: ['tenants'], params: tenantParams,
      body: { type: 'object', properties: { label: { type: 'string', maxLength: 100 } }, additionalProperties: false },
    },
  }, async (request, reply) => {
    const principal = requireOperator(request);
    const { tid } = request.params as { tid: string };
    const { key, record } = await createTenantApiKey(ctx, actorOf(principal), tid, (request.body as { label?: string } | undefined)?.label ?? '');
    return reply.status(201).send({ key, id: record.id, label: record.label, prefix: record.prefix, createdAt: new Date(record.createdAt).toISOString() });
  });

  app.get('/v1/tenants/:tid/audit', { schema: { summary: 'The tenant\'s audit log, newest first', tags: ['tenants'], params: tenantParams } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    await requireTenant(ctx, tid);
    const entries = await ctx.store.audit.list(tid);
    return { items: entries.map((e) => ({ at: new Date(e.at).toISOString(), actor: e.actor, action: e.action, detail: e.detail })) };
  });
}
