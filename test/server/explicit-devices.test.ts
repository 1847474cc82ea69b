// A notification may name up to 10,000 device ids. Checking them is linear (a Set, not a scan
// of the found devices per id, which was 10^8 comparisons at the limit).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_EXPLICIT_DEVICES } from '../../src/service/notifications.ts';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, onboardTenant, startWorld } from '../fixtures/service.ts';

const [sqlite] = await backends();

describe('notifications naming devices explicitly', () => {
  it('accept the limit of 10,000 ids, fan out to exactly those devices, and name the unknown ones when any is not the tenant\'s', async () => {
    const world = await startWorld(sqlite!);
    const t = await onboardTenant(world, 'Many');
    const lines = Array.from({ length: MAX_EXPLICIT_DEVICES + 5 }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, 'd'), pushMagic: `m${i}` }));
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices:import`, lines.join('\n'), { 'content-type': 'application/x-ndjson' });
    const ids: string[] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const page = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...(page.body.items as Array<{ id: string }>).map((d) => d.id));
      cursor = page.body.nextCursor;
    }
    const named = ids.slice(0, MAX_EXPLICIT_DEVICES);

    const sent = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { devices: named, mdm: true });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.equal(sent.body.total, MAX_EXPLICIT_DEVICES);

    const unknown = [...named.slice(1, MAX_EXPLICIT_DEVICES - 2), 'dev_notours0000000000001', 'dev_notours0000000000002'];
    const refused = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { devices: unknown, mdm: true });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, 'NOTIFICATION_UNKNOWN_DEVICES');
    assert.match(refused.body.detail ?? refused.body.message, /^2 device id\(s\) are not devices of this tenant, e\.g\. dev_notours0000000000001/);
  });
});
