import { getCompileCacheDir } from 'node:module';
import { Worker } from 'node:worker_threads';
import {
  type CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult,
  CompiledQuery as Compiled, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
} from 'kysely';
import { CertpushError } from '../errors.ts';
import { ArrivalQueue } from './arrival-order.ts';
import type { AtomicRunner } from './atomic.ts';
import { isEngineWork } from './engine-lane.ts';
import type { SqliteReply, SqliteRequest, SqliteResult, SqliteThreadData } from './sqlite-protocol.ts';

/**
 * Kysely over node:sqlite, with the database in worker threads so that no statement runs on the
 * caller's event loop: a 20,000-row fan-out, a claim or a large import takes its time on another
 * core while the HTTP server keeps accepting connections and answering /healthz.
 *
 * Two connections to the one WAL file, each owned by its own thread:
 * - the **writer** runs every write and every transaction. An interactive transaction holds it
 *   from BEGIN to COMMIT (a lock here: its statements must not interleave with others'), for a
 *   round trip per statement; `atomic()` sends a whole transaction as one message instead, and
 *   single statements wait only for an open transaction to end.
 * - the **reader** runs SELECTs made outside a transaction. WAL gives it the last committed
 *   state without waiting for the writer, so device listings are not queued behind a fan-out.
 *   A write that has returned is committed, so a read issued after it sees it. The delivery
 *   engine's SELECTs go to the writer instead (engine-lane.ts): the reader's queue is the API's
 *   listings, and the engine's few reads per batch waited behind them for up to a second each.
 */
export function nodeSqliteDialect(file: string): { dialect: Dialect; atomic: AtomicRunner } {
  let driver: ThreadedSqliteDriver | null = null;
  return {
    // Kysely creates the driver (and starts the threads) on first use; so does this.
    atomic: async (queries) => {
      driver ??= new ThreadedSqliteDriver(file);
      return driver.atomic(queries);
    },
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => (driver ??= new ThreadedSqliteDriver(file)),
      createQueryCompiler: () => new SqliteQueryCompiler(),
      createIntrospector: (db: Kysely<any>) => new SqliteIntrospector(db),
    },
  };
}

/**
 * A SELECT, or a WITH … SELECT, can go to the reader. SQLite allows `WITH … INSERT/UPDATE/
 * DELETE` too, so a WITH that names one of those anywhere goes to the writer.
 */
const READ_ONLY_SQL = /^\s*(?:select\b|with\b(?![\s\S]*\b(?:insert|update|delete|replace)\b))/i;

class ThreadedSqliteDriver implements Driver {
  readonly #file: string;
  #writer: SqliteThread | null = null;
  #reader: SqliteThread | null = null;
  readonly #writeLock = new FifoLock();

  constructor(file: string) {
    this.#file = file;
  }

  #started: Promise<void> | null = null;

  init(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  /** Statements that need none of each other's results, in one transaction, in one message to the writer. */
  async atomic(queries: readonly CompiledQuery[]): Promise<Array<QueryResult<Record<string, unknown>>>> {
    await this.init();
    if (!this.#writer) throw new CertpushError('DATABASE_UNREACHABLE', 'The SQLite database is not available: the store was closed.');
    // The lock orders posting only: the thread runs messages in the order they arrive.
    await this.#writeLock.acquire();
    const results = this.#writer.batch(queries.map((q) => ({ sql: q.sql, params: q.parameters })));
    this.#writeLock.release();
    return (await results).map(queryResult);
  }

  async #start(): Promise<void> {
    // The writer first: it switches the file to WAL, which the reader then finds.
    this.#writer = await SqliteThread.start({ file: this.#file, readOnly: false });
    try {
      this.#reader = await SqliteThread.start({ file: this.#file, readOnly: true });
    } catch (error) {
      await this.#writer.close();
      throw error;
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new ThreadedConnection(this.#writer!, this.#reader!, this.#writeLock);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as ThreadedConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as ThreadedConnection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as ThreadedConnection).end('rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(Compiled.raw(`savepoint ${quoteName(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(Compiled.raw(`rollback to ${quoteName(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(Compiled.raw(`release ${quoteName(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // A transaction Kysely abandoned without commit or rollback must not keep the writer.
    await (connection as ThreadedConnection).end('rollback').catch(() => {});
  }

  async destroy(): Promise<void> {
    await Promise.all([this.#reader?.close(), this.#writer?.close()]);
    this.#reader = this.#writer = null;
  }
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One Kysely connection: a view onto the two threads, pinned to the writer inside a transaction. */
class ThreadedConnection implements DatabaseConnection {
  readonly #writer: SqliteThread;
  readonly #reader: SqliteThread;
  readonly #lock: FifoLock;
  #inTransaction = false;

  constructor(writer: SqliteThread, reader: SqliteThread, lock: FifoLock) {
    this.#writer = writer;
    this.#reader = reader;
    this.#lock = lock;
  }

  async begin(): Promise<void> {
    await this.#lock.acquire();
    this.#inTransaction = true;
    try {
      await this.#writer.query('begin', []);
    } catch (error) {
      this.#inTransaction = false;
      this.#lock.release();
      throw error;
    }
  }

  async end(command: 'commit' | 'rollback'): Promise<void> {
    if (!this.#inTransaction) return;
    try {
      await this.#writer.query(command, []);
    } finally {
      this.#inTransaction = false;
      this.#lock.release();
    }
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    let reply: SqliteReply & { ok: true };
    if (this.#inTransaction) reply = await this.#writer.query(compiled.sql, compiled.parameters);
    else if (READ_ONLY_SQL.test(compiled.sql) && !isEngineWork()) reply = await this.#reader.query(compiled.sql, compiled.parameters);
    else {
      // Wait only for an open transaction to end (its statements must not be interleaved);
      // once posted, this statement is ordered, so the lock need not be held for the answer.
      await this.#lock.acquire();
      const pending = this.#writer.query(compiled.sql, compiled.parameters);
      this.#lock.release();
      reply = await pending;
    }
    return queryResult(reply) as QueryResult<R>;
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // Rows come back from the thread in one message; hand them out one by one as Kysely expects.
    const { rows } = await this.executeQuery<R>(compiled);
    for (const row of rows) yield { rows: [row] };
  }
}

function queryResult(result: SqliteResult): QueryResult<Record<string, unknown>> {
  if (result.changes === undefined) return { rows: result.rows };
  return { rows: result.rows, numAffectedRows: BigInt(result.changes), insertId: BigInt(result.lastInsertRowid ?? 0) };
}

/** A lock granted in request order, so a steady stream of statements cannot starve a transaction. */
class FifoLock {
  #held = false;
  readonly #waiting: Array<() => void> = [];

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }
}

const THREAD_URL = new URL(import.meta.url.endsWith('.ts') ? './sqlite-thread.ts' : './sqlite-thread.js', import.meta.url);

/** Statements posted to a thread and not yet answered, at most. */
const MAX_IN_FLIGHT = 4;

/** A worker thread owning one connection; statements are answered in the order posted. */
class SqliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (reply: SqliteReply & { ok: true }) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #inFlight = 0;
  /**
   * Waiting to be posted. The reader's wait oldest work first (arrival-order.ts): its
   * statements are independent reads. The writer's stay FIFO: an interactive transaction's
   * statements are posted one by one, and a write reordered ahead of another would run inside
   * a transaction that opened meanwhile.
   */
  readonly #queued: ArrivalQueue<SqliteRequest> | SqliteRequest[];
  #stopped: Error | null = null;
  #exited: Promise<void>;

  private constructor(data: SqliteThreadData) {
    this.#queued = data.readOnly ? new ArrivalQueue() : [];
    this.#worker = new Worker(THREAD_URL, {
      workerData: data,
      // No inherited CLI flags: some (`--input-type`, `--eval`) refuse a file-based worker.
      execArgv: [],
      // The main thread's compile cache (bin/certpush.js turns it on) is not inherited by
      // threads; without it each thread loads the TypeScript stripper: ~15 MB of RSS apiece.
      env: { ...process.env, ...(getCompileCacheDir?.() ? { NODE_COMPILE_CACHE: getCompileCacheDir() } : {}) },
      // A thread holds one statement's rows at a time: a small young generation is plenty, and
      // under load V8 would otherwise grow it to the process-wide --max-semi-space-size. (3 MB
      // saved ~2 MB a thread but cost ~5% more CPU on the service benchmark: README: Design,
      // "A service's memory".)
      resourceLimits: { maxYoungGenerationSizeMb: 6 },
    });
    // Unreferenced while idle, so an open store does not keep a CLI process alive on its own;
    // referenced while a statement is outstanding, so the process waits for its answer.
    this.#worker.unref();
    this.#worker.on('message', (reply: SqliteReply) => this.#settle(reply));
    this.#worker.on('error', (error) => this.#stop(error));
    this.#exited = new Promise((resolve) => this.#worker.once('exit', (code) => {
      this.#stop(new Error(`the SQLite thread exited (code ${code})`));
      resolve();
    }));
  }

  static async start(data: SqliteThreadData): Promise<SqliteThread> {
    const thread = new SqliteThread(data);
    // The thread answers id 0 once its connection is open (or with the reason it is not).
    thread.#inFlight = 1;
    await new Promise<SqliteReply & { ok: true }>((resolve, reject) => thread.#track(0, resolve, reject));
    return thread;
  }

  query(sql: string, params: readonly unknown[]): Promise<SqliteReply & { ok: true }> {
    return new Promise((resolve, reject) => {
      if (this.#stopped) return reject(this.#unavailable());
      const id = this.#nextId++;
      this.#track(id, resolve, reject);
      this.#post({ type: 'query', id, sql, params });
    });
  }

  async batch(statements: Array<{ sql: string; params: readonly unknown[] }>): Promise<SqliteResult[]> {
    const reply = await new Promise<SqliteReply & { ok: true }>((resolve, reject) => {
      if (this.#stopped) return reject(this.#unavailable());
      const id = this.#nextId++;
      this.#track(id, resolve, reject);
      this.#post({ type: 'batch', id, statements });
    });
    return reply.results!;
  }

  async close(): Promise<void> {
    if (!this.#stopped) {
      const id = this.#nextId++;
      await new Promise<unknown>((resolve) => {
        this.#track(id, resolve, resolve);
        this.#post({ type: 'close', id });
      });
      this.#stopped = new Error('the store was closed');
      await this.#worker.terminate();
    }
    await this.#exited;
  }

  /**
   * Post at most MAX_IN_FLIGHT at a time; the rest wait here, on the reader served by when
   * their work began (an API request's arrival, else the moment they were issued): a send's
   * checks do not queue behind the listings that came after the send did. Answers arrive on the event loop in bursts of what is outstanding: bounded, a burst cannot
   * fill a loop turn and keep /healthz and new connections waiting (as a PostgreSQL pool
   * bounds its queries).
   */
  #post(request: SqliteRequest): void {
    if (this.#inFlight < MAX_IN_FLIGHT) {
      this.#inFlight++;
      this.#worker.postMessage(request);
    } else this.#queued.push(request);
  }

  #track(id: number, resolve: (reply: SqliteReply & { ok: true }) => void, reject: (error: Error) => void): void {
    if (this.#pending.size === 0) this.#worker.ref();
    this.#pending.set(id, { resolve, reject });
  }

  #settle(reply: SqliteReply): void {
    const waiter = this.#pending.get(reply.id);
    if (!waiter) return;
    this.#pending.delete(reply.id);
    this.#inFlight--;
    const next = this.#queued.shift();
    if (next) this.#post(next);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code, errcode: reply.error.errcode, errstr: reply.error.errstr }));
  }

  #stop(cause: Error): void {
    this.#stopped ??= cause;
    for (const { reject } of this.#pending.values()) reject(this.#unavailable());
    this.#pending.clear();
    this.#queued.length = 0;
  }

  #unavailable(): Error {
    return new CertpushError('DATABASE_UNREACHABLE', `The SQLite database is not available: ${this.#stopped!.message}. Restart certpush; if it recurs, check the data directory's disk and permissions.`, { cause: this.#stopped });
  }
}
