// A running service applies --retention-days by itself: a notification's report keeps its
// totals through HTTP after the per-device detail is folded away.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, eventually, onboardTenant, startWorld } from '../fixtures/service.ts';

for (const backend of await backends()) {
  describe(`retention in a running service on ${backend.name}`, { skip: backend.skip }, () => {
    it('folds a completed notification after the window; GET says the detail expired and keeps the counts', async () => {
      // A two-second window, looked at every 200 ms.
      const world = await startWorld(backend, { config: { retentionDays: 2 / 86_400 }, service: { background: { retentionIntervalMs: 200 } } });
      const t = await onboardTenant(world, 'Retained');
      world.apns.setDevice(deviceToken(2), 'unregistered');
      for (const i of [1, 2, 3]) await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'mdm', token: deviceToken(i), pushMagic: `m${i}` });
      const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true });
      const path = `/v1/tenants/${t.tid}/notifications/${sent.body.id}`;
      const fresh = await eventually(async () => {
        const r = await world.api(t.key, 'GET', path);
        return r.body.completedAt ? r.body : undefined;
      }, 60_000, 'the notification to complete');
      assert.equal(fresh.results.length, 3);
      assert.equal(fresh.detailExpiredAt, null);
      const expired = await eventually(async () => {
        const r = await world.api(t.key, 'GET', path);
        return r.body.detailExpiredAt ? r.body : undefined;
      }, 30_000, 'retention to fold the notification');
      assert.equal(expired.total, 3);
      assert.deepEqual(expired.counts, fresh.counts);
      assert.equal(expired.counts.delivered, 2);
      assert.equal(expired.counts.invalid, 1);
      assert.deepEqual(expired.results, []);
      // Invalid marks and the audit log are retention's to leave alone.
      const invalid = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices?status=invalid`);
      assert.equal(invalid.body.items.length, 1);
      const audit = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/audit`);
      assert.ok(JSON.stringify(audit.body).includes(sent.body.id), 'the audit entry of the send is kept');
    });
  });
}
