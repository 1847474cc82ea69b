import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Schema } from './schema.ts';

/**
 * Runs statements that need none of each other's results in one transaction: all or none.
 * On SQLite it is one message to the writer thread, so the transaction holds the one writer
 * only as long as SQLite takes — an interactive transaction would hold it for a round trip per
 * statement, each waiting for a busy event loop to issue the next one.
 */
export type AtomicRunner = (queries: readonly CompiledQuery[]) => Promise<Array<QueryResult<Record<string, unknown>>>>;

/**
 * Run `queries` atomically with `runner` when the database has one (both do: sqlite-dialect.ts,
 * postgres-atomic.ts), else in a Kysely transaction. Rows are as the database returns them: select single-word column
 * names or aliases, which read the same with or without the CamelCasePlugin.
 */
export async function runAtomically(db: Kysely<Schema>, runner: AtomicRunner | undefined, queries: readonly CompiledQuery[]): Promise<Array<QueryResult<Record<string, unknown>>>> {
  if (queries.length === 0) return [];
  if (runner) return runner(queries);
  return db.transaction().execute(async (tx) => {
    const results: Array<QueryResult<Record<string, unknown>>> = [];
    for (const query of queries) results.push(await tx.executeQuery(query) as QueryResult<Record<string, unknown>>);
    return results;
  });
}
