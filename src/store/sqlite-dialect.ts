import { DatabaseSync } from 'node:sqlite';
import { SqliteDialect } from 'kysely';

/**
 * Kysely's SqliteDialect speaks better-sqlite3's interface; node:sqlite differs only in taking
 * parameters spread rather than as an array, and in how a statement tells it returns rows.
 */
export function nodeSqliteDialect(file: string): { dialect: SqliteDialect; database: DatabaseSync } {
  const database = new DatabaseSync(file);
  // WAL: readers do not block the writer; NORMAL sync is durable across process crashes.
  database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  const adapter = {
    close: () => database.close(),
    prepare(sql: string) {
      const statement = database.prepare(sql);
      const params = (p: ReadonlyArray<unknown>) => p as Array<null | number | bigint | string | Uint8Array>;
      return {
        // Kysely run()s a statement without result columns, and run() steps it once; a PRAGMA
        // such as incremental_vacuum(N) does one page per step, so read those to the end.
        reader: statement.columns().length > 0 || /^\s*PRAGMA\b/i.test(sql),
        all: (p: ReadonlyArray<unknown>) => statement.all(...params(p)),
        run: (p: ReadonlyArray<unknown>) => statement.run(...params(p)),
        iterate: (p: ReadonlyArray<unknown>) => statement.iterate(...params(p)),
      };
    },
  };
  return { dialect: new SqliteDialect({ database: adapter as never }), database };
}
