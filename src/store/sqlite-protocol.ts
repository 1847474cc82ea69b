// What the main thread and an SQLite worker thread (sqlite-thread.ts) say to each other.

export interface SqliteThreadData {
  file: string;
  /** The reader connection refuses writes (PRAGMA query_only); the writer sets up WAL. */
  readOnly: boolean;
}

export interface SqliteStatement { sql: string; params: readonly unknown[] }

export type SqliteRequest =
  | ({ type: 'query'; id: number } & SqliteStatement)
  /** Statements run in one transaction, in one message: the transaction never waits for this thread's caller. */
  | { type: 'batch'; id: number; statements: SqliteStatement[] }
  | { type: 'close'; id: number };

/** What one statement returned. */
export interface SqliteResult { rows: Array<Record<string, unknown>>; changes?: number; lastInsertRowid?: number }

/** An error as node:sqlite threw it, with the fields callers test (`code`, `errcode`). */
export interface SqliteErrorInfo {
  message: string;
  code?: string;
  errcode?: number;
  errstr?: string;
}

export type SqliteReply =
  | ({ id: number; ok: true; results?: SqliteResult[] } & SqliteResult)
  | { id: number; ok: false; error: SqliteErrorInfo };
