// A pause lifted by another process (a new certificate imported through another API process on
// the same PostgreSQL) reaches this worker only through its once-a-second read of the pauses.
// The worker also remembers each tenant's credential read for a second; when a pause it knew
// of is gone, it must forget that read, or a send inside the second could still go out with
// the refused certificate and pause the tenant again with the good one installed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../fixtures/backends.ts';
import { eventually, onboardTenant, startWorld } from '../fixtures/service.ts';

for (const backend of await backends()) {
  describe(`a pause lifted elsewhere (${backend.name})`, { skip: backend.skip }, () => {
    it('makes the worker forget the tenant\'s remembered credential when its next read of the pauses no longer shows it', async () => {
      const world = await startWorld(backend, { service: { worker: { pollMs: 20 } } });
      const t = await onboardTenant(world, 'Lifted');
      const worker = world.service.worker!;
      const forgotten: string[] = [];
      const invalidate = worker.senders.invalidate.bind(worker.senders);
      worker.senders.invalidate = (tenantId: string) => {
        forgotten.push(tenantId);
        invalidate(tenantId);
      };
      const store = world.service.ctx.store;
      // Written to the database directly, as another process would: this worker is not told.
      await store.tenants.pause(t.tid, 'mdm: BadCertificate', Date.now(), 'mdm');
      await eventually(async () => ((await store.tenants.pausedPlatforms()).length > 0 ? true : undefined), 5_000, 'the pause to be stored');
      // Long enough for the worker's list of pauses (at most a second old) to include it.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(forgotten.length, 0, 'a pause being set forgets nothing');
      await store.tenants.resume(t.tid, 'mdm');
      await eventually(async () => (forgotten.includes(t.tid) ? true : undefined), 5_000, 'the worker to forget the tenant\'s credential after the pause was lifted');
    });
  });
}
