import fs from 'node:fs';
import path from 'node:path';
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { CertpushError } from '../errors.ts';
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
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    survivePoolErrors(pool, options.onConnectionError ?? logConnectionError);
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
