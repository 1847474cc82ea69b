import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceView } from '../../src/server/views.ts';
import type { DeviceFilter } from '../../src/store/devices.ts';
import { backends } from '../fixtures/backends.ts';

// The device listing's JSON is written by the database (src/store/device-json.ts); the API's
// view of a device is server/views.ts deviceView. These hold the two to one output.
for (const backend of await backends()) {
  describe(`a device page as JSON the database wrote, on ${backend.name}`, { skip: backend.skip }, () => {
    it('is deviceView of the same page for every kind of device: keys, their order, nulls, escapes and times', async () => {
      const store = await backend.open();
      const { db } = store.database;
      const tenant = await store.tenants.create('Listed');
      const other = await store.tenants.create('Other');
      const odd = `quote " backslash \\ newline \n tab \t bell \u0007 é 漢字 😀 \u2028 end`;
      const devices = [
        ...await store.devices.upsertMany(tenant.id, [
          { platform: 'mdm', token: 'a'.repeat(64), pushMagic: '5DB8E1A8-2B0C-4A4E-9B8E-0C1D2E3F4A5B', topic: 'com.apple.mgmt.External.3c2e1a4b' },
          { platform: 'apns', token: 'b'.repeat(64) },
          { platform: 'apns', token: 'c'.repeat(64), topic: odd },
          { platform: 'mpns', token: 'https://db3.notify.live.net/throttledthirdparty/01.00/AQG?x="1"&y=\\' },
          { platform: 'mdm', token: 'd'.repeat(64), pushMagic: odd },
        ]),
      ];
      await store.devices.upsertMany(other.id, [{ platform: 'apns', token: 'e'.repeat(64) }]);
      // Times on a millisecond's edges and far from now; an enrollment; an invalid device with and without a reason.
      const times = [0, 999, 1_000, 1_764_626_400_123, 4_102_444_799_999];
      for (const [i, device] of devices.entries()) {
        await db.updateTable('devices').set({ createdAt: times[i]!, updatedAt: times[(i + 1) % times.length]! }).where('id', '=', device.id).execute();
      }
      await db.updateTable('devices').set({ enrollmentId: `UDID-1:${odd}` }).where('id', '=', devices[0]!.id).execute();
      await store.devices.markInvalid([{ tenantId: tenant.id, deviceId: devices[1]!.id }], `Unregistered ${odd}`, 1_764_626_400_001);
      await store.devices.markInvalid([{ tenantId: tenant.id, deviceId: devices[3]!.id }], 'Gone', 86_399_999);
      await db.updateTable('devices').set({ invalidReason: null }).where('id', '=', devices[3]!.id).execute();

      const filters: DeviceFilter[] = [
        { limit: 1 }, { limit: 2 }, { limit: 4 }, { limit: 5 }, { limit: 6 }, { limit: 1000 },
        { limit: 2, platform: 'apns' }, { limit: 10, status: 'invalid' }, { limit: 10, status: 'active' }, { limit: 10, search: 'notify.live' },
        { limit: 10, enrollmentId: `UDID-1:${odd}` }, { limit: 10, search: 'no such token' },
      ];
      const ids = (await store.devices.list(tenant.id, { limit: 10 })).map((d) => d.id);
      for (const after of ids.slice(0, 3)) filters.push({ limit: 2, after });
      for (const filter of filters) {
        const rows = await store.devices.list(tenant.id, { ...filter, limit: filter.limit + 1 });
        const views = rows.slice(0, filter.limit).map(deviceView);
        const got = await store.devices.pageJson(tenant.id, filter);
        const items = JSON.parse(got.items) as Array<Record<string, unknown>>;
        const what = JSON.stringify(filter);
        assert.deepEqual(items, views, what);
        assert.deepEqual(items.map((i) => Object.keys(i)), views.map((v) => Object.keys(v)), `key order, ${what}`);
        assert.equal(got.more, rows.length > filter.limit, what);
        assert.equal(got.last, views.at(-1)?.id ?? null, what);
        assert.deepEqual(got.count, await store.devices.count(tenant.id), what);
      }
      // Plain ASCII comes out byte for byte as JSON.stringify writes it.
      const plain = await store.devices.pageJson(tenant.id, { limit: 1 });
      assert.equal(plain.items, JSON.stringify((await store.devices.list(tenant.id, { limit: 1 })).map(deviceView)));
    });
  });
}
