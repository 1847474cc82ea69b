import type { FastifyInstance } from 'fastify';
import { daysLeft, parseCertificate } from '../../pki/certificate.ts';
import type { ServiceContext } from '../../service/context.ts';
import { describeMdmCert } from '../../service/mdm-push-cert.ts';
import { createTenant, createTenantApiKey, listTenantApiKeys, requireTenant, revokeTenantApiKey } from '../../service/tenants.ts';
import type { Tenant } from '../../store/tenants.ts';
import { actorOf, requireOperator, requirePrincipal, requireTenantAccess } from '../auth.ts';
import { json, noContent, problems, WITH_BODY } from '../openapi/responses.ts';
import { tenantParams } from './params.ts';

/** A tenant and one of its keys: ids as the shared path parameters take them. */
const apiKeyParams = { type: 'object', properties: { tid: tenantParams.properties.tid, kid: tenantParams.properties.tid }, required: ['tid', 'kid'] } as const;

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
      operationId: 'createTenant', summary: 'Create a tenant (operator)', tags: ['tenants'],
      body: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['name'], additionalProperties: false, examples: [{ name: 'Acme Corp' }] },
      response: {
        201: json('Tenant', 'The new tenant', {
          id: 'ten_3kq9w2c8d1f0', name: 'Acme Corp', createdAt: '2026-01-05T10:00:00.000Z', paused: null,
          mdm: { state: 'none', topic: null, notAfter: null, daysLeft: null }, mpns: null, devices: { total: 0, invalid: 0 },
        }),
        ...problems(403, 409, ...WITH_BODY),
      },
    },
  }, async (request, reply) => {
    const principal = requireOperator(request);
    const tenant = await createTenant(ctx, actorOf(principal), (request.body as { name: string }).name);
    return reply.status(201).send(await summary(tenant));
  });

  app.get('/v1/tenants', { schema: { operationId: 'listTenants', summary: 'List tenants with credential state (operator: all; tenant key: its own)', tags: ['tenants'], response: { 200: json('TenantList', 'The tenants'), ...problems(404) } } }, async (request) => {
    const principal = requirePrincipal(request);
    const tenants = principal.kind === 'operator' ? await ctx.store.tenants.list() : [await requireTenant(ctx, principal.tenantId!)];
    return { items: await Promise.all(tenants.map(summary)) };
  });

  app.get('/v1/whoami', { schema: { operationId: 'whoAmI', summary: 'What the API key reaches: operator (every tenant) or one tenant', tags: ['tenants'], response: { 200: json('WhoAmI', 'The key\'s reach', { kind: 'tenant', keyId: 'key_x7c2m9q1', tenant: { id: 'ten_3kq9w2c8d1f0', name: 'Acme Corp' } }), ...problems(404) } } }, async (request) => {
    const principal = requirePrincipal(request);
    const tenant = principal.tenantId ? await requireTenant(ctx, principal.tenantId) : null;
    return { kind: principal.kind, keyId: principal.keyId, tenant: tenant ? { id: tenant.id, name: tenant.name } : null };
  });

  app.get('/v1/tenants/:tid', { schema: { operationId: 'getTenant', summary: 'One tenant, with the state of its credentials', tags: ['tenants'], params: tenantParams, response: { 200: json('Tenant', 'The tenant'), ...problems(404) } } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    return summary(await requireTenant(ctx, tid));
  });

  app.post('/v1/tenants/:tid/api-keys', {
    schema: {
      operationId: 'createTenantApiKey', summary: 'Create a tenant API key (operator); the key is shown once', tags: ['tenants'], params: tenantParams,
      body: { type: 'object', properties: { label: { type: 'string', maxLength: 100 } }, additionalProperties: false, examples: [{ label: 'ci' }] },
      response: {
        201: json('CreatedApiKey', 'The key, shown this once', { key: 'cpk_Xq1…', id: 'key_x7c2m9q1', label: 'ci', prefix: 'cpk_Xq1', createdAt: '2026-01-05T10:00:00.000Z' }),
        ...problems(403, 404, ...WITH_BODY),
      },
    },
  }, async (request, reply) => {
    const principal = requireOperator(request);
    const { tid } = request.params as { tid: string };
    const { key, record } = await createTenantApiKey(ctx, actorOf(principal), tid, (request.body as { label?: string } | undefined)?.label ?? '');
    return reply.status(201).send({ key, id: record.id, label: record.label, prefix: record.prefix, createdAt: new Date(record.createdAt).toISOString() });
  });

  app.get('/v1/tenants/:tid/api-keys', {
    schema: {
      operationId: 'listTenantApiKeys', summary: 'The tenant\'s API keys, revoked ones too, oldest first (never the keys themselves)', tags: ['tenants'], params: tenantParams,
      response: {
        200: json('ApiKeyList', 'The keys', { items: [{ id: 'key_x7c2m9q1', label: 'ci', prefix: 'cpk_Xq1', createdAt: '2026-01-05T10:00:00.000Z', revokedAt: null }] }),
        ...problems(404),
      },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    const keys = await listTenantApiKeys(ctx, tid);
    return {
      items: keys.map((k) => ({ id: k.id, label: k.label, prefix: k.prefix, createdAt: new Date(k.createdAt).toISOString(), revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString() })),
    };
  });

  app.delete('/v1/tenants/:tid/api-keys/:kid', {
    schema: {
      operationId: 'revokeTenantApiKey', summary: 'Revoke a tenant API key: refused from the next request on (a tenant may revoke the key it uses)', tags: ['tenants'], params: apiKeyParams,
      response: { 204: noContent('Revoked'), ...problems(404) },
    },
  }, async (request, reply) => {
    const { tid, kid } = request.params as { tid: string; kid: string };
    const principal = requireTenantAccess(request, tid);
    await revokeTenantApiKey(ctx, actorOf(principal), tid, kid);
    return reply.status(204).send();
  });

  app.get('/v1/tenants/:tid/audit', { schema: { operationId: 'listTenantAudit', summary: 'The tenant\'s audit log, newest first', tags: ['tenants'], params: tenantParams, response: { 200: json('AuditLog', 'Audit entries, newest first'), ...problems(404) } } }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    await requireTenant(ctx, tid);
    const entries = await ctx.store.audit.list(tid);
    return { items: entries.map((e) => ({ at: new Date(e.at).toISOString(), actor: e.actor, action: e.action, detail: e.detail })) };
  });
}
