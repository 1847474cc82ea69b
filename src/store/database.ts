import fs from 'node:fs';
import path from 'node:path';
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { CertpushError } from '../errors.ts';
import { ArrivalQueue } from './arrival-order.ts';
import { type AtomicRunner, runAtomically } from './atomic.ts';
import { type Dialect, migrationProvider } from './migrations.ts';
import { postgresAtomic } from './postgres-atomic.ts';
import type { Schema } from './schema.ts';
import { nodeSqliteDialect } from './sqlite-dialect.ts';
import { ensureIncrementalVacuum } from './sqlite-space.ts';

export const SQLITE_FILE = 'certpush.db';

// BIGINT columns hold epoch milliseconds and counts, all far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface Database {
  db: Kysely<Schema>;
  dialect: Dialect;
  /** Where the data lives, for messages ("sqlite:/path/certpush.db", "postgres://host/db"). */
  location: string;
  /**
   * Runs a transaction's statements in one message: to SQLite's writer thread, or to PostgreSQL
   * as one implicit transaction (atomic.ts, postgres-atomic.ts).
   */
  atomic?: AtomicRunner;
  close(): Promise<void>;
}

/** How long a query waits for a connection before it fails (the database is away). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Open the database — PostgreSQL when `databaseUrl` is given, else SQLite in `dataDir` — and
 * bring its schema up to date. Migrations take a lock, so processes may start together.
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; poolSize?: number; onConnectionError?: (error: Error) => void }): Promise<Database> {
  let database: Database;
  if (options.databaseUrl) {
    const max = options.poolSize ?? 10;
    const pgPool = new pg.Pool({ connectionString: options.databaseUrl, max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    survivePoolErrors(pgPool, options.onConnectionError ?? logConnectionError);
    const pool = new ArrivalOrderedPool(pgPool, max);
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
    const url = new URL(options.databaseUrl);
    const atomic = postgresAtomic(pool, (queries) => runAtomically(db, undefined, queries));
    database = { db, dialect: 'postgres', location: `postgres://${url.host}${url.pathname}`, atomic, close: () => db.destroy() };
  } else {
    fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(options.dataDir, SQLITE_FILE);
    const { dialect, atomic } = nodeSqliteDialect(file);
    const db = new Kysely<Schema>({ dialect, plugins: [new CamelCasePlugin()] });
    database = { db, dialect: 'sqlite', location: `sqlite:${file}`, atomic, close: () => db.destroy() };
  }
  try {
    if (database.dialect === 'sqlite') await ensureIncrementalVacuum(database.db);
    const { error, results } = await new Migrator({ db: database.db, provider: migrationProvider(database.dialect) }).migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new CertpushError('DATABASE_MIGRATION', `Could not bring the database schema up to date (migration ${failed} failed: ${(error as Error).message}).`, { cause: error });
    }
  } catch (error) {
    await database.close().catch(() => {});
    if (error instanceof CertpushError) throw error;
    throw new CertpushError('DATABASE_UNREACHABLE', `Cannot open the database at ${database.location}: ${(error as Error).message}. Check DATABASE_URL (or --data-dir) and that the server is running.`, { cause: error });
  }
  return database;
}

/**
 * pg's pool with its waiters served oldest work first (arrival-order.ts) instead of FIFO per
 * query. Under 200 clients all 10 connections are busy and ~200 queries wait (measured), so a
 * send, which waits for a connection twice (its checks, then its transaction), answered about
 * twice as late as a listing; served by arrival, its second wait is short. It hands out at most
 * `max` connections, so pg's own queue stays empty, and returns pg's own clients (Kysely keys
 * its connections by them): a client's `release` gives the slot to the next waiter.
 */
export class ArrivalOrderedPool {
  readonly #pool: pg.Pool;
  readonly #max: number;
  #busy = 0;
  readonly #waiting = new ArrivalQueue<() => void>();

  readonly #timeoutMs: number;

  constructor(pool: pg.Pool, max: number, timeoutMs = CONNECT_TIMEOUT_MS) {
    this.#pool = pool;
    this.#max = max;
    this.#timeoutMs = timeoutMs;
  }

  async connect(): Promise<pg.PoolClient> {
    await this.#slot();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      this.#free();
      throw error;
    }
    const release = client.release;
    let released = false;
    client.release = (error?: Error | boolean) => {
      // Once: Kysely and pg both guard their own double releases, and so must the slot count.
      if (released) return release.call(client, error);
      released = true;
      client.release = release;
      release.call(client, error);
      this.#free();
    };
    return client;
  }

  /** A query on a pooled connection, in order like any other (postgres-atomic.ts). */
  async query(text: string): Promise<pg.QueryResult | pg.QueryResult[]> {
    await this.#slot();
    try {
      return await this.#pool.query(text) as pg.QueryResult | pg.QueryResult[];
    } finally {
      this.#free();
    }
  }

  end(): Promise<void> {
    return this.#pool.end();
  }

  #slot(): Promise<void> {
    if (this.#busy < this.#max) {
      this.#busy++;
      return Promise.resolve();
    }
    // As long as pg's pool would wait for a connection, and with its error.
    return new Promise((resolve, reject) => {
      const granted = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiting.remove(granted);
        reject(new Error('timeout exceeded when trying to connect'));
      }, this.#timeoutMs);
      this.#waiting.push(granted);
    });
  }

  #free(): void {
    const next = this.#waiting.shift();
    // The slot passes straight to the next waiter: the count stays.
    if (next) next();
    else this.#busy--;
  }
}

/**
 * A PostgreSQL backend that ends (failover, restart, pg_terminate_backend, an idle-timeout
 * proxy, a dropped database) makes pg emit 'error' on the pool for an idle client and on the
 * client itself when it is checked out between queries — a transaction's client, say. Nobody
 * listening means an unhandled 'error' event, which exits the process. The query in flight
 * fails by itself and the pool drops a dead client when it is released, so all that is left to
 * do is to say so: the next query opens a new connection.
 */
export function survivePoolErrors(pool: pg.Pool, onError: (error: Error) => void): void {
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
}

let lastLogged = 0;

function logConnectionError(error: Error): void {
  // One line a second at most: a failover ends every connection of the pool at once.
  if (Date.now() - lastLogged < 1000) return;
  lastLogged = Date.now();
  process.stderr.write(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg: 'a database connection ended; the next query opens a new one', error: error.message })}\n`);
}
