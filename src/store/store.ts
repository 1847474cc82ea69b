import { apiKeysRepository } from './api-keys.ts';
import { auditRepository } from './audit.ts';
import { type Database, openDatabase } from './database.ts';
import { deliveriesRepository } from './deliveries.ts';
import { devicesRepository } from './devices.ts';
import { enrollmentsRepository } from './enrollments.ts';
import { leasesRepository } from './leases.ts';
import { metaRepository } from './meta.ts';
import { mdmCertsRepository } from './mdm-certs.ts';
import { mpnsCredentialsRepository } from './mpns-credentials.ts';
import { mpnsQuotaRepository } from './mpns-quota.ts';
import { notificationsRepository } from './notifications.ts';
import { retentionRepository } from './retention.ts';
import { localQueueSignal, postgresQueueSignal, type QueueSignal } from './queue-signal.ts';
import { tenantsRepository } from './tenants.ts';
import type { ApiKeysRole } from './roles/api-keys.ts';
import type { AuditRole } from './roles/audit.ts';
import type { CredentialsRole } from './roles/credentials.ts';
import type { DeliveryQueueRole } from './roles/delivery-queue.ts';
import type { DevicesRole } from './roles/devices.ts';
import type { MaintenanceRole } from './roles/maintenance.ts';
import type { MetaStore } from './roles/meta.ts';
import type { QuotaRole } from './roles/quota.ts';
import type { TenantsRole } from './roles/tenants.ts';
import type { WebhooksRole } from './roles/webhooks.ts';
import { webhookEventsRepository } from './webhook-events.ts';
import { webhooksRepository } from './webhooks.ts';

/**
 * Everything certpush keeps: the composition of the role interfaces in src/store/roles/, as
 * nanomdm composes its AllStorage. A component asks for the roles it uses (the webhook sender
 * takes WebhooksRole, API-key authentication ApiKeysRole), so what it can touch is in its signature.
 *
 * One implementation serves both back ends: every repository is one query set written with
 * Kysely, run on SQLite (node:sqlite in worker threads, src/store/sqlite-*.ts) or PostgreSQL
 * (pg) by the dialect database.ts picks; the few statements that differ branch on
 * `database.dialect` inside the repository. Another back end implements these same role
 * interfaces (it need not be SQL) and is composed here the same way.
 */
export interface Store extends TenantsRole, ApiKeysRole, CredentialsRole, DevicesRole, DeliveryQueueRole, QuotaRole, WebhooksRole, AuditRole, MaintenanceRole, MetaStore {
  /** The connection, its dialect and location (for messages and dialect-specific maintenance). */
  readonly database: Database;
  /** Stop the queue signal and close the database. */
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
    devices: devicesRepository(db, database.dialect),
    enrollments: enrollmentsRepository(db, database.dialect),
    notifications: notificationsRepository(db, database.dialect, database.atomic),
    deliveries: deliveriesRepository(db, database.dialect, database.atomic),
    audit: auditRepository(db),
    webhooks: webhooksRepository(db),
    webhookEvents: webhookEventsRepository(db, database.dialect),
    mpnsQuota: mpnsQuotaRepository(db),
    leases: leasesRepository(db),
    retention: retentionRepository(db, database.dialect),
    queue,
    ...metaRepository(db),
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
