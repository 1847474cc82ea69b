import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceInput } from '../../src/store/devices.ts';
import { backends } from '../fixtures/backends.ts';
import { deviceToken } from '../fixtures/service.ts';

const devices = (n: number, salt: string): DeviceInput[] => Array.from({ length: n }, (_, i) => ({ platform: 'mdm', token: deviceToken(i, salt), pushMagic: `m${i}` }));

for (const backend of await backends()) {
  describe(`importing devices into ${backend.name}`, { skip: backend.skip }, () => {
    it('writes every device of the import, counting each distinct device once', async () => {
      const store = await backend.open();
      const tenant = await store.tenants.create('Importer');
      const input = devices(1200, 'a');
      assert.equal(await store.devices.importAll(tenant.id, [...input, input[0]!]), 1200);
      assert.equal((await store.devices.count(tenant.id)).total, 1200);
    });

    it('keeps none of them when the database refuses a row in a later batch', async () => {
      const store = await backend.open();
      const tenant = await store.tenants.create('Importer');
      const input = devices(2000, 'b');
      // Row 1,500 is in the third batch of 500: the first two were already written when it fails.
      input[1499] = { platform: 'mdm', token: null as never, pushMagic: 'm' };
      await assert.rejects(store.devices.importAll(tenant.id, input));
      assert.equal((await store.devices.count(tenant.id)).total, 0);
    });
  });
}
