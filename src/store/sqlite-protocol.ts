// What the main thread and an SQLite worker thread (sqlite-thread.ts) say to each other.

export interface SqliteThreadData {
  file: string;
  /** The reader connection refuses writes (PRAGMA query_only); the writer sets up WAL. */
  readOnly: boolean;
}

export type SqliteRequest =
  | { type: 'query'; id: number; sql: string; params: readonly unknown[] }
  | { type: 'close'; id: number };

/** An error as node:sqlite threw it, with the fields callers test (`code`, `errcode`). */
export interface SqliteErrorInfo {
  message: string;
  code?: string;
  errcode?: number;
  errstr?: string;
}

export type SqliteReply =
  | { id: number; ok: true; rows: Array<Record<string, unknown>>; changes?: number; lastInsertRowid?: number }
  | { id: number; ok: false; error: SqliteErrorInfo };
