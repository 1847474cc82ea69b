import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import { FINAL_STATE_CODE } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Schema migrations, in order. Each works on both databases; the few differences (auto-increment
 * keys) are spelled out by dialect. Never edit a migration that has shipped: add one.
 */
export function migrations(dialect: Dialect): Record<string, Migration> {
  const bigint = 'bigint';
  const autoId = (builder: Kysely<unknown>, table: string) =>
    dialect === 'postgres'
      ? builder.schema.createTable(table).addColumn('id', 'bigserial', (c) => c.primaryKey())
      : builder.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('meta')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createTable('tenants')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('paused_reason', 'text')
          .addColumn('paused_at', bigint)
          .execute();
        await db.schema.createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('prefix', 'text', (c) => c.notNull())
          .addColumn('label', 'text', (c) => c.notNull())
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('revoked_at', bigint)
          .execute();
        await db.schema.createTable('mdm_certs')
          .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
          .addColumn('cert_pem', 'text')
          .addColumn('key_sealed', 'text')
          .addColumn('topic', 'text')
          .addColumn('not_after', bigint)
          .addColumn('fingerprint', 'text')
          .addColumn('pending_key_sealed', 'text')
          .addColumn('pending_csr_pem', 'text')
          .addColumn('pending_request', 'text')
          .addColumn('warned', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('updated_at', bigint, (c) => c.notNull())
          .execute();
        await db.schema.createTable('mpns_credentials')
          .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
          .addColumn('cert_pem', 'text', (c) => c.notNull())
          .addColumn('chain_pem', 'text', (c) => c.notNull())
          .addColumn('key_sealed', 'text', (c) => c.notNull())
          .addColumn('service_name', 'text', (c) => c.notNull())
          .addColumn('not_after', bigint, (c) => c.notNull())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('warned', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('updated_at', bigint, (c) => c.notNull())
          .execute();
        await db.schema.createTable('devices')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('platform', 'text', (c) => c.notNull())
          .addColumn('token', 'text', (c) => c.notNull())
          .addColumn('push_magic', 'text')
          .addColumn('topic', 'text')
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('updated_at', bigint, (c) => c.notNull())
          .addColumn('invalid_at', bigint)
          .addColumn('invalid_reason', 'text')
          .addUniqueConstraint('devices_tenant_platform_token', ['tenant_id', 'platform', 'token'])
          .execute();
        await db.schema.createIndex('devices_tenant_id').on('devices').columns(['tenant_id', 'id']).execute();
        await db.schema.createTable('notifications')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('idempotency_key', 'text')
          .addColumn('request_hash', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('expires_at', bigint)
          .addColumn('created_at', bigint, (c) => c.notNull())
          .addColumn('total', 'integer', (c) => c.notNull())
          .addColumn('completed_at', bigint)
          .addUniqueConstraint('notifications_idempotency', ['tenant_id', 'idempotency_key'])
          .execute();
        await autoId(db, 'deliveries')
          .addColumn('notification_id', 'text', (c) => c.notNull().references('notifications.id').onDelete('cascade'))
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', bigint, (c) => c.notNull())
          .addColumn('leased_by', 'text')
          .addColumn('last_class', 'text')
          .addColumn('last_status', 'integer')
          .addColumn('last_reason', 'text')
          .addColumn('updated_at', bigint, (c) => c.notNull())
          .execute();
        // The queue: pending rows per tenant in claim order (fair claiming walks tenants in
        // order). `id` is in the key because a fan-out's rows share one due time: without it a
        // claim of 16 rows would fetch and sort the tenant's whole backlog. Partial, so it stays
        // as small as the backlog however many rows have completed.
        await sql`CREATE INDEX deliveries_due ON deliveries (tenant_id, next_attempt_at, id) WHERE state = 'pending'`.execute(db);
        // "Has this notification any pending row left?" — asked after every batch.
        await sql`CREATE INDEX deliveries_pending_by_notification ON deliveries (notification_id) WHERE state = 'pending'`.execute(db);
        await db.schema.createIndex('deliveries_notification').on('deliveries').columns(['notification_id', 'id']).execute();
        await autoId(db, 'audit_log')
          .addColumn('tenant_id', 'text')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull())
          .addColumn('at', bigint, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_tenant').on('audit_log').columns(['tenant_id', 'id']).execute();
        // Outbox of webhook calls: durable like deliveries, retried with backoff.
        await autoId(db, 'webhook_events')
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', bigint, (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('created_at', bigint, (c) => c.notNull())
          .execute();
        await sql`CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at) WHERE state = 'pending'`.execute(db);
        // MPNS's 500-per-day budget of unauthenticated subscriptions, shared by every worker.
        await db.schema.createTable('mpns_quota')
          .addColumn('subscription', 'text', (c) => c.notNull())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('used', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('mpns_quota_pk', ['subscription', 'day'])
          .execute();
        await db.schema.createTable('webhooks')
          .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('secret_sealed', 'text', (c) => c.notNull())
          .addColumn('events', 'text', (c) => c.notNull())
          .addColumn('updated_at', bigint, (c) => c.notNull())
          .execute();
      },
    },
    // Devices from MDM check-ins (nanomdm / MicroMDM webhooks, raw check-ins): each carries its
    // enrollment id, the check-in secret is sealed per tenant, and event ids make replays no-ops.
    '0002_enrollments': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('devices').addColumn('enrollment_id', 'text').execute();
        // Partial: API-registered devices have none, and many NULLs must not collide.
        await sql`CREATE UNIQUE INDEX devices_tenant_enrollment ON devices (tenant_id, enrollment_id) WHERE enrollment_id IS NOT NULL`.execute(db);
        await db.schema.createTable('mdm_checkin_secrets')
          .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
          .addColumn('secret_sealed', 'text', (c) => c.notNull())
          .addColumn('updated_at', bigint, (c) => c.notNull())
          .execute();
        await db.schema.createTable('mdm_checkin_events')
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('topic', 'text', (c) => c.notNull())
          .addColumn('enrollment_id', 'text')
          .addColumn('received_at', bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('mdm_checkin_events_pk', ['tenant_id', 'event_id'])
          .execute();
      },
    },
    '0003_retention': {
      // Retention (README: Retention) and leaner delivery rows. Existing rows are kept.
      async up(db: Kysely<unknown>) {
        // SQLite runs migrations outside a transaction; this one rebuilds a table, so it makes its own.
        if (dialect === 'sqlite') await db.transaction().execute((tx) => retentionUp(tx, dialect));
        else await retentionUp(db, dialect);
      },
    },
    // A credential failure pauses one platform of a tenant, not all of them.
    '0004_platform_pause': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('platform_pauses')
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('platform', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('paused_at', bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('platform_pauses_pk', ['tenant_id', 'platform'])
          .execute();
      },
    },
    '0006_webhooks_and_imports': {
      async up(db: Kysely<unknown>) {
        // Webhooks are claimed tenant by tenant (per-tenant slots): one tenant's backlog of
        // pending events must not be scanned to find another tenant's.
        await sql`CREATE INDEX webhook_events_tenant_due ON webhook_events (tenant_id, next_attempt_at) WHERE state = 'pending'`.execute(db);
      },
    },
    // One `deliveries` table becomes a small hot queue and an insert-only results table
    // (README: Design, "The queue and the results"). Existing rows move, ids kept.
    '0007_queue_and_results': {
      async up(db: Kysely<unknown>) {
        // SQLite runs migrations outside a transaction; this one moves every row, so it makes its own.
        if (dialect === 'sqlite') await db.transaction().execute((tx) => queueAndResultsUp(tx, dialect));
        else await queueAndResultsUp(db, dialect);
      },
    },
    // An `all` fan-out is queued in slices, not all at once (README: Design, "The queue and the
    // results"): the notification keeps a cursor over its tenant's devices. Notifications that
    // exist now are queued whole already: their cursor is null, and `fed` is read only while a
    // cursor is set, so no row is rewritten.
    '0008_fanout_slices': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('notifications').addColumn('feed_cursor', 'text').execute();
        await db.schema.alterTable('notifications').addColumn('feed_platforms', 'text').execute();
        await db.schema.alterTable('notifications').addColumn('feed_until', 'bigint').execute();
        await db.schema.alterTable('notifications').addColumn('fed', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        // The feeder's work list (the notifications being fed: a few at any time) and the
        // idle worker's look for one whose queue ran dry.
        await sql`CREATE INDEX notifications_feeding ON notifications (seq) WHERE feed_cursor IS NOT NULL`.execute(db);
      },
    },
    // Devices, leaner on PostgreSQL (README: Design, "Devices"): keyed by (tenant_id, id), one
    // index less, the token's unique index on a 16-byte digest. Existing rows are kept, ids and
    // all. SQLite keeps its table: it has no digest function to index (device-token-key.ts).
    '0009_leaner_devices': {
      async up(db: Kysely<unknown>) {
        if (dialect === 'postgres') await leanerDevicesUp(db);
      },
    },
  };
}

async function leanerDevicesUp(db: Kysely<unknown>): Promise<void> {
  // The token's MD5 as a uuid: 16 bytes, fixed, instead of the token's 65 (an APNs token in hex)
  // to 2 KB (an MPNS channel URI). Immutable, so it can be indexed; a plain SQL expression, so
  // the planner inlines it and a query's device_token_key(...) matches the index's. MD5 is not
  // collision-resistant against someone choosing both inputs, and that is enough here: the
  // index is per (tenant, platform), so only a tenant's own two tokens could ever collide, and
  // then no device is merged — every upsert and lookup compares the token itself as well, and
  // the second token is refused (DEVICE_TOKEN_COLLISION). By chance, among 10^8 tokens of one
  // tenant, the odds of any collision are ~10^-23.
  await sql`CREATE FUNCTION device_token_key(token text) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $$ SELECT md5(token)::uuid $$`.execute(db);
  // Rebuilt: the primary key becomes (tenant_id, id) — every read of a device names its tenant
  // (a queue row, a result's notification, an API path carry it), and the listing's
  // (tenant_id, id) index was that key already, so it is the only one of the two kept — and
  // the fixed-width columns come first, so nothing is padded between them.
  await sql`CREATE TABLE devices_lean (
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    invalid_at bigint,
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id text NOT NULL,
    platform text NOT NULL,
    token text NOT NULL,
    push_magic text,
    topic text,
    enrollment_id text,
    invalid_reason text,
    CONSTRAINT devices_lean_pkey PRIMARY KEY (tenant_id, id)
  )`.execute(db);
  // In key order: the key's pages fill one after another, not split at random.
  await sql`INSERT INTO devices_lean (created_at, updated_at, invalid_at, tenant_id, id, platform, token, push_magic, topic, enrollment_id, invalid_reason)
            SELECT created_at, updated_at, invalid_at, tenant_id, id, platform, token, push_magic, topic, enrollment_id, invalid_reason
            FROM devices ORDER BY tenant_id, id`.execute(db);
  await sql`DROP TABLE devices`.execute(db);
  await sql`ALTER TABLE devices_lean RENAME TO devices`.execute(db);
  await sql`ALTER TABLE devices RENAME CONSTRAINT devices_lean_pkey TO devices_pkey`.execute(db);
  await sql`ALTER TABLE devices RENAME CONSTRAINT devices_lean_tenant_id_fkey TO devices_tenant_id_fkey`.execute(db);
  // Unique per (tenant, platform, token), as before, by the token's digest.
  await sql`CREATE UNIQUE INDEX devices_tenant_platform_token ON devices (tenant_id, platform, device_token_key(token))`.execute(db);
  // As 0002 made it: many API-registered devices have no enrollment.
  await sql`CREATE UNIQUE INDEX devices_tenant_enrollment ON devices (tenant_id, enrollment_id) WHERE enrollment_id IS NOT NULL`.execute(db);
}

async function retentionUp(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  // A notification's per-device rows, once past the retention window, are folded into these
  // counts and deleted; detail_expired_at says the fold is done (the report then has totals only).
  for (const state of ['delivered', 'invalid', 'rejected', 'expired', 'failed']) {
    await db.schema.alterTable('notifications').addColumn(`folded_${state}`, 'integer', (c) => c.notNull().defaultTo(0)).execute();
  }
  await db.schema.alterTable('notifications').addColumn('detail_expired_at', 'bigint').execute();
  // A small integer key for deliveries to point at instead of the 20-character text id.
  // PostgreSQL numbers existing rows from the sequence; SQLite has no ALTER for an automatic
  // column, so a trigger numbers each new row (rowid alone is not stable across VACUUM).
  if (dialect === 'postgres') {
    await sql`ALTER TABLE notifications ADD COLUMN seq bigserial NOT NULL`.execute(db);
  } else {
    await sql`ALTER TABLE notifications ADD COLUMN seq integer`.execute(db);
    await sql`UPDATE notifications SET seq = rowid`.execute(db);
    await sql`CREATE TRIGGER notifications_seq AFTER INSERT ON notifications WHEN NEW.seq IS NULL
              BEGIN UPDATE notifications SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM notifications) WHERE rowid = NEW.rowid; END`.execute(db);
  }
  await db.schema.createIndex('notifications_seq').unique().on('notifications').column('seq').execute();
  // Retention's work list: completed notifications whose detail is still kept, oldest first.
  await sql`CREATE INDEX notifications_retention ON notifications (completed_at) WHERE detail_expired_at IS NULL AND completed_at IS NOT NULL`.execute(db);

  // Deliveries, rebuilt leaner: notification_seq (8 bytes) instead of notification_id (21 and
  // a 29-byte index entry), smallint attempts and status, and fixed-width columns first so
  // PostgreSQL pads nothing between them. The queue's columns and indexes keep their names.
  const autoId = dialect === 'postgres' ? sql`id bigserial PRIMARY KEY` : sql`id integer PRIMARY KEY AUTOINCREMENT`;
  await sql`CREATE TABLE deliveries_lean (
    ${autoId},
    notification_seq bigint NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    next_attempt_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    attempts smallint NOT NULL DEFAULT 0,
    last_status smallint,
    tenant_id text NOT NULL,
    device_id text NOT NULL,
    state text NOT NULL,
    leased_by text,
    last_class text,
    last_reason text
  )`.execute(db);
  await sql`INSERT INTO deliveries_lean (id, notification_seq, tenant_id, device_id, state, attempts, next_attempt_at, leased_by, last_class, last_status, last_reason, updated_at)
            SELECT d.id, n.seq, d.tenant_id, d.device_id, d.state, d.attempts, d.next_attempt_at, d.leased_by, d.last_class, d.last_status, d.last_reason, d.updated_at
            FROM deliveries d JOIN notifications n ON n.id = d.notification_id`.execute(db);
  await sql`DROP TABLE deliveries`.execute(db);
  await sql`ALTER TABLE deliveries_lean RENAME TO deliveries`.execute(db);
  if (dialect === 'postgres') {
    await sql`ALTER SEQUENCE deliveries_lean_id_seq RENAME TO deliveries_id_seq`.execute(db);
    await sql`SELECT setval('deliveries_id_seq', GREATEST((SELECT MAX(id) FROM deliveries), 1))`.execute(db);
    await sql`ALTER INDEX deliveries_lean_pkey RENAME TO deliveries_pkey`.execute(db);
    // A queue table: every row is inserted, updated twice and (after retention) deleted. Vacuum
    // it at 2% dead rather than the default 20%, so dead space is reused instead of growing.
    await sql`ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02)`.execute(db);
  }
  // The same indexes as 0001 (see there for why each exists), keyed by notification_seq.
  await sql`CREATE INDEX deliveries_due ON deliveries (tenant_id, next_attempt_at, id) WHERE state = 'pending'`.execute(db);
  await sql`CREATE INDEX deliveries_pending_by_notification ON deliveries (notification_seq) WHERE state = 'pending'`.execute(db);
  await db.schema.createIndex('deliveries_notification').on('deliveries').columns(['notification_seq', 'id']).execute();

  // One retention worker at a time across processes: whoever holds the lease row until `until`.
  await db.schema.createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('until', 'bigint', (c) => c.notNull())
    .execute();
}

async function queueAndResultsUp(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  // The queue: rows not yet final. Fixed-width columns first (PostgreSQL pads nothing). Its ids
  // continue the deliveries' sequence, so a row keeps its id from fan-out to result.
  const id = dialect === 'postgres' ? sql`id bigint PRIMARY KEY DEFAULT nextval('deliveries_id_seq')` : sql`id integer PRIMARY KEY AUTOINCREMENT`;
  await sql`CREATE TABLE delivery_queue (
    ${id},
    notification_seq bigint NOT NULL REFERENCES notifications (seq) ON DELETE CASCADE,
    next_attempt_at bigint NOT NULL,
    leased_until bigint NOT NULL DEFAULT 0,
    updated_at bigint NOT NULL,
    attempts smallint NOT NULL DEFAULT 0,
    last_status smallint,
    tenant_id text NOT NULL,
    device_id text NOT NULL,
    last_class text,
    last_reason text
  )`.execute(db);
  await sql`INSERT INTO delivery_queue (id, notification_seq, next_attempt_at, updated_at, attempts, last_status, tenant_id, device_id, last_class, last_reason)
            SELECT id, notification_seq, next_attempt_at, updated_at, attempts, last_status, tenant_id, device_id, last_class, last_reason
            FROM deliveries WHERE state = 'pending'`.execute(db);

  // The results: one row per final outcome, never updated. No tenant_id (the notification has
  // it), the state as a code, the class only when it is not the state's own name. The primary
  // key is the one index: the report's pages and retention's fold both read one notification's
  // rows in id order. No foreign key: checking one would cost a lookup and a row lock on the
  // notification for every result inserted, and notifications are never deleted (retention
  // deletes results; the queue's key still cascades).
  const code = sql.raw(`CASE state ${Object.entries(FINAL_STATE_CODE).map(([state, n]) => `WHEN '${state}' THEN ${n}`).join(' ')} END`);
  await sql`CREATE TABLE delivery_results (
    notification_seq bigint NOT NULL,
    id bigint NOT NULL,
    updated_at bigint NOT NULL,
    attempts smallint NOT NULL,
    last_status smallint,
    state smallint NOT NULL,
    device_id text NOT NULL,
    last_class text,
    last_reason text,
    PRIMARY KEY (notification_seq, id)
  )${sql.raw(dialect === 'sqlite' ? ' WITHOUT ROWID' : '')}`.execute(db);
  await sql`INSERT INTO delivery_results (notification_seq, id, updated_at, attempts, last_status, state, device_id, last_class, last_reason)
            SELECT notification_seq, id, updated_at, attempts, last_status, ${code}, device_id, NULLIF(last_class, state), last_reason
            FROM deliveries WHERE state <> 'pending'`.execute(db);

  if (dialect === 'postgres') {
    // The sequence outlives the table it was made for.
    await sql`ALTER SEQUENCE deliveries_id_seq OWNED BY delivery_queue.id`.execute(db);
    await sql`DROP TABLE deliveries`.execute(db);
    await sql`ALTER SEQUENCE deliveries_id_seq RENAME TO delivery_queue_id_seq`.execute(db);
    await sql`ALTER TABLE delivery_queue ALTER COLUMN id SET DEFAULT nextval('delivery_queue_id_seq')`.execute(db);
    // New ids follow every id given so far, queued or final (a row inserted with its own id
    // did not move the sequence).
    await sql`SELECT setval('delivery_queue_id_seq', GREATEST((SELECT MAX(id) FROM delivery_queue), (SELECT MAX(id) FROM delivery_results),
                                                              (SELECT last_value FROM delivery_queue_id_seq), 1))`.execute(db);
    // The queue churns: every row inserted, updated by its claim, deleted. Half of each page
    // is kept free so that a claim's update of every row on a page fits beside them (a HOT
    // update: no new index entries); measured, that costs 15% less server CPU per delivery than
    // an update that moves rows. Vacuumed at 2% dead so its pages are reused rather than grown.
    await sql`ALTER TABLE delivery_queue SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02)`.execute(db);
    // One tenant's claimable rows, in claim order, locked. A function only for its SET: the
    // queue swings from empty to a whole fan-out between two ANALYZEs, and with an estimate of
    // a few hundred rows the planner reads the tenant's entire backlog by bitmap and sorts it
    // (measured: 96 ms and a 1.5 MB sort on disk for 1,000 of 50,000 rows) instead of walking
    // the due index in order and stopping after its share (the whole claim: 11 ms). ROWS keeps the update's join
    // to the queue a lookup per row rather than a scan of the queue.
    await sql`CREATE FUNCTION delivery_queue_claimable(tenant text, due_by bigint, n integer) RETURNS SETOF bigint
              LANGUAGE sql VOLATILE ROWS 100 SET enable_bitmapscan = off AS $$
                SELECT id FROM delivery_queue
                WHERE tenant_id = tenant AND next_attempt_at <= due_by AND leased_until <= due_by
                ORDER BY next_attempt_at, id LIMIT n
                FOR UPDATE SKIP LOCKED
              $$`.execute(db);
    // Insert-only: pages are filled to the brim (nothing will be updated in place), vacuumed
    // after retention's deletes at 2% dead, and after inserts often enough that freezing is
    // spread out rather than one anti-wraparound pass over the whole table.
    await sql`ALTER TABLE delivery_results SET (fillfactor = 100, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.1)`.execute(db);
  } else {
    // AUTOINCREMENT keeps ids rising past every id ever given (not just those still queued):
    // the queue starts where deliveries' sequence was, or after the highest id, if higher.
    await sql`DELETE FROM sqlite_sequence WHERE name = 'delivery_queue'`.execute(db);
    await sql`INSERT INTO sqlite_sequence (name, seq) SELECT 'delivery_queue', MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'deliveries'), 0),
                                                                    COALESCE((SELECT MAX(id) FROM delivery_results), 0), COALESCE((SELECT MAX(id) FROM delivery_queue), 0))`.execute(db);
    await sql`DROP TABLE deliveries`.execute(db);
  }
  // The claim: due rows per tenant in claim order (see 0001's deliveries_due for why id is in
  // the key). No partial predicate: every queue row is pending. The lease (leased_until) is
  // deliberately not in it: see the column's comment in schema.ts.
  await sql`CREATE INDEX delivery_queue_due ON delivery_queue (tenant_id, next_attempt_at, id)`.execute(db);
  // One notification's queued rows in id order: the report's pages merge them with its results,
  // and "is anything of it still queued?" (completion) is one probe of it. Unique keys, so a
  // finished row's dead entry can be marked dead by the first scan that meets it.
  await sql`CREATE INDEX delivery_queue_notification ON delivery_queue (notification_seq, id)`.execute(db);
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
