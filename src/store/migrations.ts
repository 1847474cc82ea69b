import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

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
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
