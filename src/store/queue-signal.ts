import { type CompiledQuery, type Kysely, sql } from 'kysely';
import pg from 'pg';
import { asBackground } from './arrival-order.ts';
import type { Schema } from './schema.ts';

/**
 * "Deliveries may be due now": how the process that queues a notification wakes the workers,
 * wherever they run, instead of leaving them to their next poll (which stays, as the safety net
 * for anything a signal misses — and for retries, which come due on their own).
 */
export interface QueueSignal {
  /** Wake every subscribed worker: in this process, and on PostgreSQL in every process. */
  notify(): Promise<void>;
  /**
   * A statement that wakes them when the transaction it runs in commits (PostgreSQL delivers a
   * NOTIFY at COMMIT, and drops it on ROLLBACK), so queueing rows and waking the workers cost
   * one round trip and no extra commit; absent when `notify()` must follow the commit instead.
   */
  readonly onCommit?: CompiledQuery;
  /** Call `listener` on each wake-up; returns the function that stops it. */
  subscribe(listener: () => void): () => void;
  /** PostgreSQL: whether the LISTEN connection is up (false until someone subscribes). */
  readonly listening: boolean;
  close(): Promise<void>;
}

/** One process owns an SQLite database: its workers are woken in-process. */
export function localQueueSignal(): QueueSignal {
  const listeners = new Set<() => void>();
  return {
    async notify() {
      // A request's send calls this: the workers it wakes are background work, not the request's.
      for (const listener of listeners) asBackground(listener);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    listening: true,
    async close() {
      listeners.clear();
    },
  };
}

/** The channel certpush's processes NOTIFY and LISTEN on. */
export const QUEUE_CHANNEL = 'certpush_queue';

export interface PostgresSignalOptions {
  /** First wait before reconnecting a dropped LISTEN connection; doubles up to `maxReconnectMs`. */
  reconnectMs?: number;
  maxReconnectMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;
}

/**
 * PostgreSQL LISTEN/NOTIFY. `notify()` is a NOTIFY through the pool (one round trip); a process
 * with subscribers keeps one dedicated connection in LISTEN — a pooled connection cannot listen,
 * as it goes back to the pool between queries — and reconnects it with backoff when it drops.
 * After a reconnect every subscriber is woken once, since NOTIFYs sent while it was down are lost.
 */
export function postgresQueueSignal(connectionString: string, db: Kysely<Schema>, options: PostgresSignalOptions = {}): QueueSignal {
  const listeners = new Set<() => void>();
  const firstWait = options.reconnectMs ?? 100;
  const maxWait = options.maxReconnectMs ?? 5000;
  let client: pg.Client | null = null;
  let listening = false;
  let closed = false;
  let wait = firstWait;
  let timer: NodeJS.Timeout | null = null;
  let connecting: Promise<void> | null = null;

  const wakeAll = () => {
    for (const listener of listeners) asBackground(listener);
  };

  function connect(): Promise<void> {
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString });
      // Errors and ends arrive as events; each drop schedules one reconnect.
      let dropped = false;
      const drop = (error?: Error) => {
        if (dropped) return;
        dropped = true;
        listening = false;
        if (client === c) client = null;
        c.end().catch(() => {});
        if (closed) return;
        options.log?.('warn', 'the PostgreSQL LISTEN connection dropped; reconnecting (workers poll meanwhile)', { error: error?.message, retryInMs: wait });
        timer = setTimeout(() => {
          timer = null;
          void connect();
        }, wait);
        timer.unref();
        wait = Math.min(wait * 2, maxWait);
      };
      c.on('error', drop);
      c.on('end', () => drop());
      c.on('notification', (message) => {
        if (message.channel === QUEUE_CHANNEL) wakeAll();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${QUEUE_CHANNEL}`);
        if (closed || dropped) {
          await c.end().catch(() => {});
          return;
        }
        client = c;
        listening = true;
        wait = firstWait;
        wakeAll();
      } catch (error) {
        drop(error as Error);
      }
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  const notifyStatement = sql`SELECT pg_notify(${QUEUE_CHANNEL}, '')`;
  return {
    async notify() {
      await notifyStatement.execute(db);
    },
    onCommit: notifyStatement.compile(db),
    subscribe(listener) {
      listeners.add(listener);
      if (!client && !connecting && !timer && !closed) void connect();
      return () => listeners.delete(listener);
    },
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      listeners.clear();
      if (timer) clearTimeout(timer);
      await connecting;
      await client?.end().catch(() => {});
      client = null;
      listening = false;
    },
  };
}
