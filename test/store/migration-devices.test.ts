// 0009_leaner_devices rebuilds PostgreSQL's devices table: keyed by (tenant_id, id), the token's
// unique index on a digest of the token. Every device, its uniqueness and every way of finding it
// must come through; SQLite's table is left as it was.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { isCertpushError } from '../../src/errors.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { notificationReport } from '../../src/service/notifications.ts';
import type { Dialect } from '../../src/store/migrations.ts';
import type { Store } from '../../src/store/store.ts';
import { backends } from '../fixtures/backends.ts';
import { databaseAt, type Location, openMigrated } from '../fixtures/migrations.ts';

const MDM_TOKEN = 'a1'.repeat(32);
const APNS_TOKEN = 'b2'.repeat(32);
const MPNS_URI = 'https://db3.notify.live.net/throttledthirdparty/01.00/AQHgHh';

/**
 * A database at 0007 with two tenants. ten_a: dev_3 (MDM, enrolled as UDID-1, a delivery queued),
 * dev_1 (APNs, a result recorded), dev_2 (MPNS, invalid). ten_b: dev_4, the same MDM token as dev_3.
 */
async function databaseBefore0009(dialect: Dialect, where: Location): Promise<void> {
  await databaseAt(dialect, where, '0007_queue_and_results', async (db) => {
    await sql`INSERT INTO tenants (id, name, created_at) VALUES ('ten_a', 'A', 1), ('ten_b', 'B', 1)`.execute(db);
    await sql`INSERT INTO devices (id, tenant_id, platform, token, push_magic, topic, enrollment_id, created_at, updated_at, invalid_at, invalid_reason) VALUES
              ('dev_3', 'ten_a', 'mdm', ${MDM_TOKEN}, 'pm-3', 'com.apple.mgmt.External.a', 'UDID-1', 10, 11, NULL, NULL),
              ('dev_1', 'ten_a', 'apns', ${APNS_TOKEN}, NULL, 'com.example.app', NULL, 20, 21, NULL, NULL),
              ('dev_2', 'ten_a', 'mpns', ${MPNS_URI}, NULL, NULL, NULL, 30, 31, 32, 'Expired'),
              ('dev_4', 'ten_b', 'mdm', ${MDM_TOKEN}, 'pm-4', NULL, NULL, 40, 41, NULL, NULL)`.execute(db);
    await sql`INSERT INTO notifications (id, tenant_id, request_hash, payload, created_at, total) VALUES ('ntf_1', 'ten_a', 'h', '{"mdm":true}', 1000, 2)`.execute(db);
    const seq = sql`(SELECT seq FROM notifications WHERE id = 'ntf_1')`;
    await sql`INSERT INTO delivery_queue (id, notification_seq, next_attempt_at, updated_at, tenant_id, device_id) VALUES (7, ${seq}, 1000, 1000, 'ten_a', 'dev_3')`.execute(db);
    await sql`INSERT INTO delivery_results (notification_seq, id, updated_at, attempts, last_status, state, device_id) VALUES (${seq}, 6, 1500, 1, 200, 1, 'dev_1')`.execute(db);
  });
}

async function migrated(backend: { name: Dialect; location(): Promise<Location> }): Promise<Store> {
  const where = await backend.location();
  await databaseBefore0009(backend.name, where);
  return openMigrated(where);
}

for (const backend of await backends()) {
  describe(`migration 0009_leaner_devices on ${backend.name}`, { skip: backend.skip }, () => {
    it('keeps every device with every field, listed in id order with the same cursors', async () => {
      const store = await migrated(backend);
      assert.deepEqual(await store.devices.get('ten_a', 'dev_3'), {
        id: 'dev_3', tenantId: 'ten_a', platform: 'mdm', token: MDM_TOKEN, pushMagic: 'pm-3', topic: 'com.apple.mgmt.External.a',
        enrollmentId: 'UDID-1', createdAt: 10, updatedAt: 11, invalidAt: null, invalidReason: null,
      });
      assert.deepEqual(await store.devices.get('ten_a', 'dev_2'), {
        id: 'dev_2', tenantId: 'ten_a', platform: 'mpns', token: MPNS_URI, pushMagic: null, topic: null,
        enrollmentId: null, createdAt: 30, updatedAt: 31, invalidAt: 32, invalidReason: 'Expired',
      });
      const first = await store.devices.list('ten_a', { limit: 2 });
      assert.deepEqual(first.map((d) => d.id), ['dev_1', 'dev_2']);
      assert.deepEqual((await store.devices.list('ten_a', { limit: 2, after: 'dev_2' })).map((d) => d.id), ['dev_3']);
      assert.deepEqual((await store.devices.pageJson('ten_a', { limit: 1, after: 'dev_1' })).count, { total: 3, invalid: 1 });
      assert.deepEqual(await store.devices.count('ten_b'), { total: 1, invalid: 0 });
    });

    it('keeps a device unique per tenant, platform and token: registering it again updates it', async () => {
      const store = await migrated(backend);
      const [again] = await store.devices.upsertMany('ten_a', [{ platform: 'mdm', token: MDM_TOKEN, pushMagic: 'pm-new' }], 100);
      assert.deepEqual([again!.id, again!.pushMagic, again!.createdAt, again!.updatedAt], ['dev_3', 'pm-new', 10, 100]);
      // The invalid one comes back active under its id.
      assert.equal(await store.devices.importAll('ten_a', [{ platform: 'mpns', token: MPNS_URI }, { platform: 'apns', token: APNS_TOKEN, topic: 'com.example.app' }], 200), 2);
      assert.deepEqual(await store.devices.count('ten_a'), { total: 3, invalid: 0 });
      // The same token on another platform, or in another tenant, is another device.
      const [apns] = await store.devices.upsertMany('ten_a', [{ platform: 'apns', token: MDM_TOKEN, topic: 'com.example.app' }]);
      assert.ok(!['dev_1', 'dev_2', 'dev_3', 'dev_4'].includes(apns!.id));
      assert.equal((await store.devices.get('ten_b', 'dev_4'))!.pushMagic, 'pm-4');
    });

    it('keeps a tenant\'s devices its own: another tenant\'s id is not found, removed or marked', async () => {
      const store = await migrated(backend);
      assert.equal(await store.devices.get('ten_b', 'dev_3'), undefined);
      assert.deepEqual(await store.devices.existing('ten_b', ['dev_3', 'dev_4']).then((ds) => ds.map((d) => d.id)), ['dev_4']);
      assert.equal(await store.devices.remove('ten_b', 'dev_3'), false);
      assert.deepEqual(await store.devices.markInvalid([{ tenantId: 'ten_b', deviceId: 'dev_3' }], 'Unregistered'), []);
      assert.equal((await store.devices.get('ten_a', 'dev_3'))!.invalidAt, null);
      assert.deepEqual(await store.devices.markInvalid([{ tenantId: 'ten_a', deviceId: 'dev_3' }, { tenantId: 'ten_b', deviceId: 'dev_4' }], 'Unregistered', 500), ['dev_3', 'dev_4']);
      assert.equal(await store.devices.remove('ten_a', 'dev_3'), true);
    });

    it('keeps enrollments unique per tenant and finds them by check-in', async () => {
      const store = await migrated(backend);
      const db = store.database.db;
      await assert.rejects(sql`INSERT INTO devices (id, tenant_id, platform, token, enrollment_id, created_at, updated_at) VALUES ('dev_9', 'ten_a', 'mdm', 'ff', 'UDID-1', 1, 1)`.execute(db));
      // A TokenUpdate of UDID-1 gives its device the new token.
      const applied = await store.enrollments.apply('ten_a', { eventId: 'e1', topic: 't' }, { kind: 'token-update', enrollmentId: 'UDID-1', token: 'c3'.repeat(32), pushMagic: 'pm-9', topic: 't' }, 300);
      assert.deepEqual([applied.device!.id, applied.device!.token], ['dev_3', 'c3'.repeat(32)]);
      assert.deepEqual((await store.enrollments.byEnrollmentIds('ten_a', ['UDID-1'])).map((d) => d.id), ['dev_3']);
      // A new enrollment whose token an API-registered device holds takes that device over.
      const [api] = await store.devices.upsertMany('ten_a', [{ platform: 'mdm', token: 'd4'.repeat(32), pushMagic: 'pm' }]);
      const taken = await store.enrollments.apply('ten_a', { eventId: 'e2', topic: 't' }, { kind: 'token-update', enrollmentId: 'UDID-2', token: 'd4'.repeat(32), pushMagic: 'pm-2', topic: 't' });
      assert.equal(taken.device!.id, api!.id);
      assert.equal((await store.enrollments.apply('ten_a', { eventId: 'e3', topic: 't' }, { kind: 'check-out', enrollmentId: 'UDID-2' })).changed, 1);
      assert.equal((await store.devices.get('ten_b', 'dev_4'))!.enrollmentId, null);
    });

    it('claims the queued delivery with its device, and the report names the device of each result', async () => {
      const store = await migrated(backend);
      const [claimed] = await store.deliveries.claim({ workerId: 'w', limit: 10, leaseMs: 1000, now: 2000 });
      assert.deepEqual([claimed!.id, claimed!.deviceId, claimed!.platform, claimed!.token, claimed!.pushMagic], [7, 'dev_3', 'mdm', MDM_TOKEN, 'pm-3']);
      const report = await notificationReport({ store } as ServiceContext, 'ten_a', 'ntf_1', { limit: 10 });
      assert.deepEqual(report.results.map((r) => [r.deviceId, r.state]), [['dev_1', 'delivered'], ['dev_3', 'pending']]);
    });

    if (backend.name === 'postgres') {
      it('keys devices by (tenant_id, id) with one index less, and indexes the token by its digest', async () => {
        const store = await migrated(backend);
        const { rows } = await sql<{ indexname: string; indexdef: string }>`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'devices' ORDER BY indexname`.execute(store.database.db);
        assert.deepEqual(rows.map((r) => r.indexname), ['devices_pkey', 'devices_tenant_enrollment', 'devices_tenant_platform_token']);
        assert.match(rows[0]!.indexdef, /\(tenant_id, id\)$/);
        assert.match(rows[2]!.indexdef, /^CREATE UNIQUE INDEX .* \(tenant_id, platform, device_token_key\(token\)\)$/);
      });

      it('refuses, and never merges, a token whose digest another token of the tenant has', async () => {
        const store = await migrated(backend);
        const db = store.database.db;
        // No two real tokens with one MD5 are at hand, so this database's digest is made to collide.
        await sql`CREATE OR REPLACE FUNCTION device_token_key(token text) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
                  AS $$ SELECT CASE WHEN token LIKE 'collide%' THEN '00000000-0000-0000-0000-000000000000'::uuid ELSE md5(token)::uuid END $$`.execute(db);
        const [first] = await store.devices.upsertMany('ten_a', [{ platform: 'apns', token: 'collide-1', topic: 'x' }], 100);
        const refused = (e: unknown) => isCertpushError(e, 'DEVICE_TOKEN_COLLISION') && e.message.includes('collide-2');
        await assert.rejects(store.devices.upsertMany('ten_a', [{ platform: 'apns', token: 'collide-2', topic: 'y' }], 200), refused);
        // All or nothing: the import's other device is not written either.
        await assert.rejects(store.devices.importAll('ten_a', [{ platform: 'apns', token: 'fresh', topic: 'y' }, { platform: 'apns', token: 'collide-3', topic: 'y' }]), (e) => isCertpushError(e, 'DEVICE_TOKEN_COLLISION'));
        // A check-in's token, against an MDM device's: refused, and the event not recorded (it may come again).
        await store.devices.upsertMany('ten_a', [{ platform: 'mdm', token: 'collide-m', pushMagic: 'p' }]);
        await assert.rejects(store.enrollments.apply('ten_a', { eventId: 'e1', topic: 't' }, { kind: 'token-update', enrollmentId: 'UDID-9', token: 'collide-4', pushMagic: 'p', topic: 't' }), (e) => isCertpushError(e, 'DEVICE_TOKEN_COLLISION'));
        assert.equal((await store.enrollments.apply('ten_a', { eventId: 'e1', topic: 't' }, { kind: 'token-update', enrollmentId: 'UDID-9', token: 'mdm-9', pushMagic: 'p', topic: 't' })).replayed, false);
        assert.deepEqual((await store.devices.list('ten_a', { platform: 'mdm', limit: 10 })).map((d) => d.token).sort(), ['collide-m', MDM_TOKEN, 'mdm-9'].sort());
        const apns = (await store.devices.list('ten_a', { platform: 'apns', limit: 10 })).map((d) => [d.token, d.topic, d.updatedAt]);
        assert.deepEqual(apns.filter(([token]) => token !== APNS_TOKEN), [['collide-1', 'x', 100]]);
        assert.equal((await store.devices.get('ten_a', first!.id))!.token, 'collide-1');
        // Another platform, or another tenant, is another index key: no collision there.
        await store.devices.upsertMany('ten_b', [{ platform: 'apns', token: 'collide-2', topic: 'y' }]);
      });
    }
  });
}
