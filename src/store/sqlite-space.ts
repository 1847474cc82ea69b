import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Schema } from './schema.ts';

/**
 * SQLite keeps deleted pages inside the file for reuse; with auto_vacuum = INCREMENTAL it can
 * also hand them back to the file system a bounded number at a time (`PRAGMA incremental_vacuum(N)`),
 * so the file shrinks after retention instead of staying at its high-water mark.
 *
 * The mode can only change on an empty database or through a full VACUUM: a new database gets
 * it before its first table; one made by an older certpush is rewritten once (VACUUM copies
 * the whole file, so an upgrade of a large database takes a while and needs its size again
 * free on disk, once).
 */
export async function ensureIncrementalVacuum(db: Kysely<Schema>): Promise<'set' | 'converted' | 'already'> {
  const mode = await pragmaNumber(db, sql`PRAGMA auto_vacuum`);
  if (mode === 2) return 'already';
  const tables = await pragmaNumber(db, sql`SELECT count(*) FROM sqlite_master`);
  await sql`PRAGMA auto_vacuum = INCREMENTAL`.execute(db);
  // Even an empty file needs the VACUUM once journal_mode = WAL has written its first page.
  if (await pragmaNumber(db, sql`PRAGMA auto_vacuum`) !== 2) await sql`VACUUM`.execute(db);
  return tables === 0 ? 'set' : 'converted';
}

/** Free pages, at most `maxPages` (4 KiB each) per call so the writer is held only briefly. */
export async function releaseFreePages(db: Kysely<Schema>, maxPages: number): Promise<number> {
  const free = await pragmaNumber(db, sql`PRAGMA freelist_count`);
  if (free === 0) return 0;
  await sql`PRAGMA incremental_vacuum(${sql.lit(Math.min(free, maxPages))})`.execute(db);
  // Counted, not assumed: without auto_vacuum the pragma frees nothing.
  return free - await pragmaNumber(db, sql`PRAGMA freelist_count`);
}

/** The single value a pragma answers (read by position: the CamelCasePlugin renames its key). */
export async function pragmaNumber(db: Kysely<Schema>, query: RawBuilder<unknown>): Promise<number> {
  const row = (await query.execute(db)).rows[0] as Record<string, unknown> | undefined;
  return Number(row ? Object.values(row)[0] : 0);
}
