import type { FastifyRequest } from 'fastify';
import type { Actor } from '../service/context.ts';
import { notFound, ServiceError } from '../service/errors.ts';
import type { Store } from '../store/store.ts';

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
  }
}

/** Resolve `Authorization: Bearer <key>`; null when absent. A present but unknown key is a 401. */
export async function authenticate(store: Store, request: FastifyRequest): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new ServiceError(401, 'AUTH_MALFORMED', 'The Authorization header must be "Bearer <API key>".');
  const key = await store.apiKeys.authenticate(match[1]!);
  if (!key) throw new ServiceError(401, 'AUTH_INVALID', 'The API key is not valid (unknown or revoked). Ask your operator for a key.');
  return { kind: key.tenantId ? 'tenant' : 'operator', keyId: key.id, tenantId: key.tenantId };
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new ServiceError(401, 'AUTH_REQUIRED', 'This endpoint needs an API key: send "Authorization: Bearer <key>".');
  return request.principal;
}

export function requireOperator(request: FastifyRequest): Principal {
  const principal = requirePrincipal(request);
  if (principal.kind !== 'operator') throw new ServiceError(403, 'OPERATOR_ONLY', 'Only an operator key may do this.');
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
