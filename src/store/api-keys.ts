import crypto from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyTable, Schema } from './schema.ts';
import { newId } from './ids.ts';
import { prepareQuery } from './prepared-query.ts';
import type { ApiKeyStore } from './roles/api-keys.ts';

export type ApiKey = Omit<Selectable<ApiKeyTable>, 'hash'>;

/** Key format: "cpk_" + 43 base64url characters (256 random bits). */
export const API_KEY_PREFIX = 'cpk_';

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

/**
 * How long a key found live is believed without asking the database again. Every API request
 * authenticates, and the lookup was a database round trip per request (the largest share of a
 * device listing's, with the tenant check: bench/load.bench.ts). A revocation through this
 * store (`revoke`) takes effect in this process at once; one made elsewhere — another certpush
 * process on the same PostgreSQL, or an UPDATE by hand — within this bound.
 */
export const API_KEY_CACHE_MS = 1000;

/** Live keys remembered at most; beyond it the oldest entry goes. Only live keys are kept, so guessing cannot fill it. */
const API_KEY_CACHE_ENTRIES = 10_000;

export interface ApiKeyCacheOptions {
  /** Milliseconds a live key is believed (API_KEY_CACHE_MS); 0 asks the database every time. */
  cacheMs?: number;
  /** The clock the cache ages by (tests). */
  now?: () => number;
}

export function apiKeysRepository(db: Kysely<Schema>, options: ApiKeyCacheOptions = {}): ApiKeyStore {
  const cacheMs = options.cacheMs ?? API_KEY_CACHE_MS;
  const clock = options.now ?? Date.now;
  /** By hash: the live key and until when it is believed. Unknown or revoked keys are never kept. */
  const live = new Map<string, { record: ApiKey; until: number }>();
  /** Lookups in flight by hash, so a burst of requests with one key asks the database once. */
  const inFlight = new Map<string, Promise<ApiKey | undefined>>();
  /**
   * Bumped by every revocation: a lookup that started before one may have read the key as live,
   * so it answers its own callers but does not put the key into the cache.
   */
  let generation = 0;
  const lookup = prepareQuery<Selectable<ApiKeyTable>, 'hash'>(db, (param) => db.selectFrom('apiKeys').selectAll().where('hash', '=', param('hash')).where('revokedAt', 'is', null));

  async function fromDatabase(hash: string): Promise<ApiKey | undefined> {
    const row = (await lookup({ hash })).rows[0];
    if (!row || !crypto.timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return undefined;
    const { hash: _hash, ...record } = row;
    // Shared by every request the cache answers: nobody may change it.
    return Object.freeze(record);
  }

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
     * stored hash compared in constant time, so timing reveals nothing about other keys. A key
     * found live is remembered for `API_KEY_CACHE_MS` (by its SHA-256: the map's own timing
     * tells at most about hashes, which no one can invert into a key).
     */
    async authenticate(key: string): Promise<ApiKey | undefined> {
      const hash = hashApiKey(key);
      const now = clock();
      const cached = live.get(hash);
      if (cached && cached.until > now) return cached.record;
      if (cached) live.delete(hash);
      let pending = inFlight.get(hash);
      if (!pending) {
        const startedAt = generation;
        const asked: Promise<ApiKey | undefined> = fromDatabase(hash).then((record) => {
          if (record && cacheMs > 0 && startedAt === generation) {
            if (live.size >= API_KEY_CACHE_ENTRIES) live.delete(live.keys().next().value!);
            live.set(hash, { record, until: clock() + cacheMs });
          }
          return record;
        }).finally(() => {
          if (inFlight.get(hash) === asked) inFlight.delete(hash);
        });
        inFlight.set(hash, asked);
        pending = asked;
      }
      return pending;
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
    async revoke(id: string, tenantId: string | null, now = Date.now()): Promise<ApiKey | undefined> {
      let q = db.updateTable('apiKeys').set({ revokedAt: now }).where('id', '=', id).where('revokedAt', 'is', null);
      q = tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', tenantId);
      // Forget every remembered key before the database has even answered: a request that
      // arrives from now on is looked up afresh and finds the key revoked.
      // (A lookup already in flight may have read it live: later requests do not join it.)
      const forget = () => {
        generation++;
        live.clear();
        inFlight.clear();
      };
      forget();
      const revoked = await q.returning(['id', 'tenantId', 'prefix', 'label', 'createdAt', 'revokedAt']).executeTakeFirst();
      forget();
      return revoked;
    },
  };
}
