import type { FastifyRequest } from 'fastify';
import type { Actor } from '../service/context.ts';
import { notFound, ServiceError } from '../service/errors.ts';
import type { ApiKeysRole } from '../store/roles/api-keys.ts';

/** Who made the request, from their API key. */
export interface Principal {
  kind: 'operator' | 'tenant';
  keyId: string;
  /** Set for tenant keys: the only tenant they reach. */
  tenantId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** performance.now() when the request arrived (app.ts). */
    arrivedAt: number;
  }
  interface FastifyContextConfig {
    /**
     * Also take the API key as the password of HTTP Basic auth (any user name): what nanomdm's
     * API and Go's URL userinfo send, so MDM servers reach these routes unchanged.
     */
    basicAuth?: boolean;
  }
}

/**
 * Resolve `Authorization: Bearer <key>` (or, on routes with `basicAuth`, `Basic` with the key as
 * password); null when absent. A present but unknown key is a 401.
 */
export async function authenticate(store: ApiKeysRole, request: FastifyRequest): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (!header) return null;
  const secret = bearerKey(header) ?? (request.routeOptions.config?.basicAuth ? basicPassword(header) : null);
  if (secret === null) {
    throw new ServiceError('AUTH_MALFORMED', request.routeOptions.config?.basicAuth
      ? 'The Authorization header must be "Bearer <API key>", or Basic auth with the API key as the password.'
      : 'The Authorization header must be "Bearer <API key>".');
  }
  const key = await store.apiKeys.authenticate(secret);
  if (!key) throw new ServiceError('AUTH_INVALID', 'The API key is not valid (unknown or revoked). Ask your operator for a key.');
  return { kind: key.tenantId ? 'tenant' : 'operator', keyId: key.id, tenantId: key.tenantId };
}

function bearerKey(header: string): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
}

/** The password of `Basic base64(user:password)`; null when the header is not that. */
export function basicPassword(header: string): string | null {
  const encoded = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header)?.[1];
  if (!encoded) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : null;
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new ServiceError('AUTH_REQUIRED', 'This endpoint needs an API key: send "Authorization: Bearer <key>".');
  return request.principal;
}

export function requireOperator(request: FastifyRequest): Principal {
  const principal = requirePrincipal(request);
  if (principal.kind !== 'operator') throw new ServiceError('OPERATOR_ONLY', 'Only an operator key may do this.');
  return principal;
}

/**
 * The tenant a request may act on. An operator reaches every tenant; a tenant key only its
 * own — any other tenant id is a 404, exactly as if it did not exist.
 */
export function requireTenantAccess(request: FastifyRequest, tenantId: string): Principal {
  const principal = requirePrincipal(request);
  if (principal.kind === 'tenant' && principal.tenantId !== tenantId) throw notFound(`Tenant ${tenantId}`);
  return principal;
}

export function actorOf(principal: Principal): Actor {
  return { kind: principal.kind, keyId: principal.keyId };
}
