import crypto from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyTable, Schema } from './schema.ts';
import { newId } from './ids.ts';
import type { ApiKeyStore } from './roles/api-keys.ts';

export type ApiKey = Omit<Selectable<ApiKeyTable>, 'hash'>;

/** Key format: "cpk_" + 43 base64url characters (256 random bits). */
export const API_KEY_PREFIX = 'cpk_';

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

export function apiKeysRepository(db: Kysely<Schema>): ApiKeyStore {
  return {
    /** Create a key; the plaintext is returned once and only its hash is stored. */
    async create(tenantId: string | null, label: string, now = Date.now()): Promise<{ key: string; record: ApiKey }> {
      const key = `${API_KEY_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
      return { key, record: await this.install(key, tenantId, label, now) };
    },
    /** Store a key supplied from outside (CERTPUSH_OPERATOR_KEY), hashed. */
    async install(key: string, tenantId: string | null, label: string, now = Date.now()): Promise<ApiKey> {
      const record: ApiKey = { id: newId('key'), tenantId, prefix: key.slice(0, API_KEY_PREFIX.length + 6), label, createdAt: now, revokedAt: null };
      await db.insertInto('apiKeys').values({ ...record, hash: hashApiKey(key) }).execute();
      return record;
    },
    /**
     * The live key with this plaintext, or undefined. Looked up by hash (an index), then the
     * stored hash compared in constant time, so timing reveals nothing about other keys.
     */
    async authenticate(key: string): Promise<ApiKey | undefined> {
      const hash = hashApiKey(key);
      const row = await db.selectFrom('apiKeys').selectAll().where('hash', '=', hash).where('revokedAt', 'is', null).executeTakeFirst();
      if (!row || !crypto.timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return undefined;
      const { hash: _hash, ...record } = row;
      return record;
    },
    async findByHash(hash: string): Promise<ApiKey | undefined> {
      const row = await db.selectFrom('apiKeys').select(['id', 'tenantId', 'prefix', 'label', 'createdAt', 'revokedAt']).where('hash', '=', hash).executeTakeFirst();
      return row;
    },
    async countOperatorKeys(): Promise<number> {
      const row = await db.selectFrom('apiKeys').select((eb) => eb.fn.countAll<number>().as('n')).where('tenantId', 'is', null).where('revokedAt', 'is', null).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async list(tenantId: string | null): Promise<ApiKey[]> {
      let q = db.selectFrom('apiKeys').select(['id', 'tenantId', 'prefix', 'label', 'createdAt', 'revokedAt']);
      q = tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', tenantId);
      return q.orderBy('createdAt').execute();
    },
    async revoke(id: string, tenantId: string | null, now = Date.now()): Promise<boolean> {
      let q = db.updateTable('apiKeys').set({ revokedAt: now }).where('id', '=', id).where('revokedAt', 'is', null);
      q = tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', tenantId);
      const result = await q.executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
