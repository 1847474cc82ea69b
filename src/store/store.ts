import { apiKeysRepository } from './api-keys.ts';
import { auditRepository } from './audit.ts';
import { type Database, openDatabase } from './database.ts';
import { deliveriesRepository } from './deliveries.ts';
import { devicesRepository } from './devices.ts';
import { enrollmentsRepository } from './enrollments.ts';
import { leasesRepository } from './leases.ts';
import { mdmCertsRepository } from './mdm-certs.ts';
import { mpnsCredentialsRepository } from './mpns-credentials.ts';
import { mpnsQuotaRepository } from './mpns-quota.ts';
import { notificationsRepository } from './notifications.ts';
import { retentionRepository } from './retention.ts';
import { localQueueSignal, postgresQueueSignal, type QueueSignal } from './queue-signal.ts';
import { tenantsRepository } from './tenants.ts';
import { webhookEventsRepository } from './webhook-events.ts';
import { webhooksRepository } from './webhooks.ts';

/**
 * Everything certpush keeps, behind one interface that SQLite and PostgreSQL both implement
 * (the same queries; the few dialect differences live inside the repositories).
 */
export interface Store {
  readonly database: Database;
  readonly tenants: ReturnType<typeof tenantsRepository>;
  readonly apiKeys: ReturnType<typeof apiKeysRepository>;
  readonly mdmCerts: ReturnType<typeof mdmCertsRepository>;
  readonly mpnsCredentials: ReturnType<typeof mpnsCredentialsRepository>;
  readonly devices: ReturnType<typeof devicesRepository>;
  readonly enrollments: ReturnType<typeof enrollmentsRepository>;
  readonly notifications: ReturnType<typeof notificationsRepository>;
  readonly deliveries: ReturnType<typeof deliveriesRepository>;
  readonly audit: ReturnType<typeof auditRepository>;
  readonly webhooks: ReturnType<typeof webhooksRepository>;
  readonly webhookEvents: ReturnType<typeof webhookEventsRepository>;
  readonly mpnsQuota: ReturnType<typeof mpnsQuotaRepository>;
  readonly leases: ReturnType<typeof leasesRepository>;
  readonly retention: ReturnType<typeof retentionRepository>;
  /** Wakes delivery workers when rows are queued (PostgreSQL: across processes). */
  readonly queue: QueueSignal;
  /** Read or write a small named value (schema facts, the master key check value). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Write a named value unless one is there; returns the value that is there now (first writer wins). */
  claimMeta(key: string, value: string): Promise<string>;
  close(): Promise<void>;
}

export function createStore(database: Database, queue: QueueSignal = localQueueSignal()): Store {
  const { db } = database;
  return {
    database,
    tenants: tenantsRepository(db),
    apiKeys: apiKeysRepository(db),
    mdmCerts: mdmCertsRepository(db),
    mpnsCredentials: mpnsCredentialsRepository(db),
    devices: devicesRepository(db),
    enrollments: enrollmentsRepository(db),
    notifications: notificationsRepository(db, database.atomic),
    deliveries: deliveriesRepository(db, database.dialect, database.atomic),
    audit: auditRepository(db),
    webhooks: webhooksRepository(db),
    webhookEvents: webhookEventsRepository(db, database.dialect),
    mpnsQuota: mpnsQuotaRepository(db),
    leases: leasesRepository(db),
    retention: retentionRepository(db, database.dialect),
    queue,
    async getMeta(key) {
      return (await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
    },
    async setMeta(key, value) {
      await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    },
    async claimMeta(key, value) {
      await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
      return (await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirstOrThrow()).value;
    },
    async close() {
      await queue.close();
      await database.close();
    },
  };
}

/** Open the database (migrating it) and build the store. */
export async function openStore(options: { databaseUrl?: string; dataDir: string; poolSize?: number }): Promise<Store> {
  const database = await openDatabase(options);
  return createStore(database, options.databaseUrl ? postgresQueueSignal(options.databaseUrl, database.db) : localQueueSignal());
}
