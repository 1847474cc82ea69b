import { isCertpushError } from '../errors.ts';
import type { ApiKey } from '../store/api-keys.ts';
import type { ApiKeysRole } from '../store/roles/api-keys.ts';
import type { AuditRole } from '../store/roles/audit.ts';
import type { TenantsRole } from '../store/roles/tenants.ts';
import type { Tenant } from '../store/tenants.ts';
import { type Actor, actorName, type ServiceContext } from './context.ts';
import { conflict, notFound, unprocessable } from './errors.ts';

const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._'&()-]{0,99}$/u;

export async function createTenant(ctx: ServiceContext<TenantsRole & AuditRole>, actor: Actor, name: string): Promise<Tenant> {
  const trimmed = name.trim();
  if (!NAME_PATTERN.test(trimmed)) {
    throw unprocessable('TENANT_NAME', 'A tenant name is 1–100 letters, digits, spaces and . _ \' & ( ) -, starting with a letter or digit.');
  }
  if (await ctx.store.tenants.getByName(trimmed)) throw conflict('TENANT_EXISTS', `A tenant named "${trimmed}" already exists. Choose another name.`);
  try {
    const tenant = await ctx.store.tenants.create(trimmed, ctx.now().getTime());
    await ctx.store.audit.record({ tenantId: tenant.id, actor: actorName(actor), action: 'tenant.created', detail: { name: trimmed } });
    return tenant;
  } catch (error) {
    // Two requests racing past the check above: the unique index decides.
    if (!isCertpushError(error) && /unique|duplicate/i.test((error as Error).message)) throw conflict('TENANT_EXISTS', `A tenant named "${trimmed}" already exists. Choose another name.`);
    throw error;
  }
}

export async function requireTenant(ctx: ServiceContext<TenantsRole>, tenantId: string): Promise<Tenant> {
  const tenant = await ctx.store.tenants.get(tenantId);
  if (!tenant) throw notFound(`Tenant ${tenantId}`);
  let known = knownTenants.get(ctx.store.tenants);
  if (!known) knownTenants.set(ctx.store.tenants, (known = new Set()));
  known.add(tenantId);
  return tenant;
}

/**
 * Tenant ids this process has seen exist, per tenant store. Tenants are never deleted (no API,
 * CLI or retention pass removes one), so once seen an id stays valid: the existence check that
 * most requests make (a device listing, a send) needs the database once per tenant instead of
 * a round trip per request. Only ids read from the database go in; an unknown id is asked every
 * time, so a tenant created by another process is found at once. If tenants ever become
 * deletable, the deletion must remove the id from here.
 */
const knownTenants = new WeakMap<TenantsRole['tenants'], Set<string>>();

/**
 * As requireTenant, for callers that need only to know the tenant exists (a 404 when it does
 * not): answered from memory once the id has been seen.
 */
export async function requireTenantExists(ctx: ServiceContext<TenantsRole>, tenantId: string): Promise<void> {
  const known = knownTenants.get(ctx.store.tenants);
  if (known?.has(tenantId)) return;
  await requireTenant(ctx, tenantId);
}

/** A new API key for a tenant; the plaintext is in the result only, never stored. */
export async function createTenantApiKey(ctx: ServiceContext<TenantsRole & ApiKeysRole & AuditRole>, actor: Actor, tenantId: string, label: string): Promise<{ key: string; record: ApiKey }> {
  await requireTenant(ctx, tenantId);
  const created = await ctx.store.apiKeys.create(tenantId, label.trim() || 'api key', ctx.now().getTime());
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: 'api-key.created', detail: { keyId: created.record.id, label: created.record.label } });
  return created;
}

/** A tenant's keys, revoked ones too, oldest first: what each is, never the key itself. */
export async function listTenantApiKeys(ctx: ServiceContext<TenantsRole & ApiKeysRole>, tenantId: string): Promise<ApiKey[]> {
  await requireTenant(ctx, tenantId);
  return ctx.store.apiKeys.list(tenantId);
}

/**
 * Revoke one of a tenant's live keys. Another tenant's key, an unknown id and a key already
 * revoked all answer 404 alike, so a tenant learns nothing about other tenants' key ids. The
 * store forgets its cached keys as it revokes, so this process refuses the key from the next
 * request on (another process within API_KEY_CACHE_MS).
 */
export async function revokeTenantApiKey(ctx: ServiceContext<TenantsRole & ApiKeysRole & AuditRole>, actor: Actor, tenantId: string, keyId: string): Promise<void> {
  await requireTenant(ctx, tenantId);
  const revoked = await ctx.store.apiKeys.revoke(keyId, tenantId, ctx.now().getTime());
  if (!revoked) throw notFound(`API key ${keyId}`);
  // The label makes the entry readable without looking the id up.
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: 'api-key.revoked', detail: { keyId, label: revoked.label } });
}
