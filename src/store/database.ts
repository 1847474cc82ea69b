import fs from 'node:fs';
import path from 'node:path';
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { CertpushError } from '../errors.ts';
import type { AtomicRunner } from './atomic.ts';
import { type Dialect, migrationProvider } from './migrations.ts';
import type { Schema } from './schema.ts';
import { nodeSqliteDialect } from './sqlite-dialect.ts';

export const SQLITE_FILE = 'certpush.db';

// BIGINT columns hold epoch milliseconds and counts, all far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface Database {
  db: Kysely<Schema>;
  dialect: Dialect;
  /** Where the data lives, for messages ("sqlite:/path/certpush.db", "postgres://host/db"). */
  location: string;
  /** SQLite: runs a transaction's statements in one message to its thread (see atomic.ts). */
  atomic?: AtomicRunner;
  close(): Promise<void>;
}

/**
 * Open the database — PostgreSQL when `databaseUrl` is given, else SQLite in `dataDir` — and
 * bring its schema up to date. Migrations take a lock, so processes may start together.
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; poolSize?: number }): Promise<Database> {
  let database: Database;
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
    const url = new URL(options.databaseUrl);
    database = { db, dialect: 'postgres', location: `postgres://${url.host}${url.pathname}`, close: () => db.destroy() };
  } else {
    fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(options.dataDir, SQLITE_FILE);
    const { dialect, atomic } = nodeSqliteDialect(file);
    const db = new Kysely<Schema>({ dialect, plugins: [new CamelCasePlugin()] });
    database = { db, dialect: 'sqlite', location: `sqlite:${file}`, atomic, close: () => db.destroy() };
  }
  try {
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
