import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { resolveConfig } from '../../src/config.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { createTenant, requireTenant } from '../../src/service/tenants.ts';
import { emitWebhookEvent } from '../../src/service/webhooks.ts';
import type { AuditRole } from '../../src/store/roles/audit.ts';
import type { TenantsRole } from '../../src/store/roles/tenants.ts';
import type { WebhooksRole } from '../../src/store/roles/webhooks.ts';
import { createSecretBox } from '../../src/store/secret-box.ts';
import type { Store } from '../../src/store/store.ts';
import { backends } from '../fixtures/backends.ts';

// A use-case's signature names the store roles it works with (ServiceContext<TenantsRole &
// AuditRole>), and it needs nothing else: given a store of only those roles, it runs. This is
// what lets a component be tested, or backed, role by role.

function contextOver<S>(store: S): ServiceContext<S> {
  return {
    store, secrets: createSecretBox(crypto.randomBytes(32)), config: resolveConfig({}, {}), signer: null,
    extraCa: [], appleRoot: null, mpnsRoots: [], now: () => new Date(1_800_000_000_000),
  };
}

for (const backend of await backends()) {
  describe(`store roles on ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    before(async () => {
      store = await backend.open();
    });

    it('creates a tenant with only the tenants and audit roles', async () => {
      const only: TenantsRole & AuditRole = { tenants: store.tenants, audit: store.audit };
      const tenant = await createTenant(contextOver(only), { kind: 'operator' }, ' Roles Ltd ');
      assert.equal(tenant.name, 'Roles Ltd');
      assert.equal((await requireTenant(contextOver({ tenants: store.tenants }), tenant.id)).id, tenant.id);
      assert.deepEqual((await store.audit.list(tenant.id)).map((e) => e.action), ['tenant.created']);
    });

    it('queues a webhook event with only the webhooks role', async () => {
      const tenant = await store.tenants.create('Hooks Ltd');
      const ctx = contextOver<WebhooksRole>({ webhooks: store.webhooks, webhookEvents: store.webhookEvents });
      await store.webhooks.put({ tenantId: tenant.id, url: 'https://hooks.example/in', secretSealed: ctx.secrets.seal('s', 'x'), events: 'notification.completed', updatedAt: 0 });
      await emitWebhookEvent(ctx, tenant.id, 'notification.completed', { id: 'ntf_1' });
      const [event] = await store.webhookEvents.list(tenant.id);
      assert.equal(event?.event, 'notification.completed');
      assert.deepEqual(JSON.parse(event!.payload).data, { id: 'ntf_1' });
    });
  });
}
