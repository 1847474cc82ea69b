// The body of an SQLite worker thread: it owns one node:sqlite connection and runs the
// statements the main thread posts, one at a time, answering each with its rows or its error.
// node:sqlite is synchronous; running it here keeps a 20,000-row fan-out or a large claim from
// holding the HTTP event loop (README: Design).
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import type { SqliteErrorInfo, SqliteReply, SqliteRequest, SqliteResult, SqliteStatement, SqliteThreadData } from './sqlite-protocol.ts';

const { file, readOnly } = workerData as SqliteThreadData;
const port = parentPort!;

let database: DatabaseSync;
try {
  database = new DatabaseSync(file);
  // WAL: readers do not block the writer; NORMAL sync is durable across process crashes.
  // The reader connection sets only what a connection needs; the journal mode is the file's.
  database.exec(readOnly
    ? 'PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;'
    : 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  port.postMessage({ id: 0, ok: true, rows: [] } satisfies SqliteReply);
} catch (error) {
  port.postMessage({ id: 0, ok: false, error: describe(error) } satisfies SqliteReply);
  process.exit(1);
}

// Statements are compiled once per distinct SQL text; Kysely's queries are a small fixed set
// (values are parameters), and the cap keeps ad-hoc SQL from growing it without bound.
const STATEMENT_CACHE = 256;
const statements = new Map<string, StatementSync>();

function statement(sql: string): StatementSync {
  let s = statements.get(sql);
  if (s) return s;
  s = database.prepare(sql);
  if (statements.size >= STATEMENT_CACHE) statements.delete(statements.keys().next().value!);
  statements.set(sql, s);
  return s;
}

port.on('message', (request: SqliteRequest) => {
  if (request.type === 'close') {
    try {
      database.close();
    } finally {
      port.postMessage({ id: request.id, ok: true, rows: [] } satisfies SqliteReply);
      port.close();
    }
    return;
  }
  let reply: SqliteReply;
  try {
    if (request.type === 'query') reply = { id: request.id, ok: true, ...run(request) };
    else {
      database.exec('BEGIN IMMEDIATE');
      try {
        const results = request.statements.map(run);
        database.exec('COMMIT');
        reply = { id: request.id, ok: true, rows: [], results };
      } catch (error) {
        if (database.isTransaction) database.exec('ROLLBACK');
        throw error;
      }
    }
  } catch (error) {
    reply = { id: request.id, ok: false, error: describe(error) };
  }
  port.postMessage(reply);
});

function run({ sql, params }: SqliteStatement): SqliteResult {
  const s = statement(sql);
  const values = params as Array<null | number | bigint | string | Uint8Array>;
  // A PRAGMA such as incremental_vacuum(N) does one page per step and may have no result
  // columns: run() would step it once, so read those to the end too.
  if (s.columns().length > 0 || /^\s*PRAGMA\b/i.test(sql)) return { rows: s.all(...values) as Array<Record<string, unknown>> };
  const { changes, lastInsertRowid } = s.run(...values);
  return { rows: [], changes: Number(changes), lastInsertRowid: Number(lastInsertRowid) };
}

function describe(error: unknown): SqliteErrorInfo {
  const e = error as Error & { code?: string; errcode?: number; errstr?: string };
  return { message: e.message, code: e.code, errcode: e.errcode, errstr: e.errstr };
}
