import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../fixtures/backends.ts';
import { startWorld } from '../fixtures/service.ts';

// Without --apple-root-file the service verifies push certificate requests against Apple's
// built-in roots: a request signed under a test PKI is refused, never taken unverified.
const [sqlite] = await backends();
describe('the service without --apple-root-file', { skip: sqlite!.skip }, () => {
  it('refuses a push certificate request that does not chain to an Apple root', async () => {
    const world = await startWorld(sqlite!, { config: { appleRootFile: '' } });
    const tid = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'No Apple root' })).body.id as string;
    const key = (await world.api(world.operatorKey, 'POST', `/v1/tenants/${tid}/api-keys`, {})).body.key as string;
    await world.api(key, 'POST', `/v1/tenants/${tid}/mdm/csr`, {});
    const signed = await world.api(key, 'POST', `/v1/tenants/${tid}/mdm/push-cert-request`);
    assert.equal(signed.status, 422, JSON.stringify(signed.body));
    assert.equal(signed.body.code, 'MDM_REQUEST_INVALID');
    assert.ok((signed.body.findings as Array<{ code: string }>).some((f) => f.code === 'CHAIN_UNTRUSTED_ROOT'), JSON.stringify(signed.body.findings));
    assert.equal((await world.api(key, 'GET', `/v1/tenants/${tid}/mdm/push-cert`)).body.state, 'awaiting-signature');
  });
});
