import type { ApiKey } from '../api-keys.ts';

/**
 * Role: API keys, stored as hashes only. A null tenant id is an operator key. Implemented by
 * `apiKeysRepository` (src/store/api-keys.ts).
 */
export interface ApiKeyStore {
  /** A new random key: the plaintext is in the answer once and never stored. */
  create(tenantId: string | null, label: string, now?: number): Promise<{ key: string; record: ApiKey }>;
  /** Store a key chosen outside certpush (CERTPUSH_OPERATOR_KEY), hashed. */
  install(key: string, tenantId: string | null, label: string, now?: number): Promise<ApiKey>;
  /** The live (unrevoked) key with this plaintext, compared in constant time. */
  authenticate(key: string): Promise<ApiKey | undefined>;
  /** The key (revoked or not) with this SHA-256 hash (hex). */
  findByHash(hash: string): Promise<ApiKey | undefined>;
  /** Live operator keys. */
  countOperatorKeys(): Promise<number>;
  /** A tenant's keys, or the operator keys for null; oldest first. */
  list(tenantId: string | null): Promise<ApiKey[]>;
  /** Revoke a live key of that tenant (or operator): the key as revoked, undefined when there was none. */
  revoke(id: string, tenantId: string | null, now?: number): Promise<ApiKey | undefined>;
}

/** The part of the store that authenticates callers and issues keys. */
export interface ApiKeysRole {
  readonly apiKeys: ApiKeyStore;
}
