import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/store.ts';
import { EXIT_USAGE } from '../../src/cli/exit-codes.ts';
import { backends } from '../fixtures/backends.ts';
import { runCli } from '../fixtures/cli.ts';
import { tempDir } from '../fixtures/pki.ts';
import { startWorld } from '../fixtures/service.ts';

describe('certpush tenant / tenant api-key (operator side)', () => {
  it('on the local data directory: create a tenant, give it a key that the API accepts, list, revoke', async () => {
    const dataDir = tempDir();
    // The directory certpush serve made (the store and its master key).
    await (await openStore({ dataDir })).close();
    const local = ['--data-dir', dataDir];

    const created = await runCli(['tenant', 'create', '--name', 'Local Co', ...local]);
    assert.equal(created.code, 0, created.stderr);
    const tid = created.stdout.trim();
    assert.match(tid, /^ten_[A-Za-z0-9_-]+$/);
    assert.match(created.stderr, /Created tenant "Local Co"/);

    const again = await runCli(['tenant', 'create', '--name', 'Local Co', ...local]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists.*\[TENANT_EXISTS\]/);

    const listed = JSON.parse((await runCli(['tenant', 'list', '--json', ...local])).stdout) as Array<{ id: string; name: string; mdm: { state: string }; devices: { total: number } }>;
    assert.deepEqual(listed.map((t) => [t.id, t.name, t.mdm.state, t.devices.total]), [[tid, 'Local Co', 'none', 0]]);

    const keyFile = path.join(tempDir(), 'key');
    const key = await runCli(['tenant', 'api-key', 'create', '--tenant', tid, '--label', 'ci', '--out', keyFile, ...local]);
    assert.equal(key.code, 0, key.stderr);
    assert.equal(key.stdout, '', 'with --out the key is not printed');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    const secret = fs.readFileSync(keyFile, 'utf8').trim();
    assert.match(secret, /^cpk_/);

    // The key is live in the data a service would serve (the remote case below asks the API itself).
    const check = await openStore({ dataDir });
    try {
      assert.equal((await check.apiKeys.authenticate(secret))?.tenantId, tid);
    } finally {
      await check.close();
    }
    // Listed without the key itself.
    const keys = await runCli(['tenant', 'api-key', 'list', '--tenant', tid, ...local]);
    assert.equal(keys.code, 0, keys.stderr);
    assert.match(keys.stdout, /^ID\s+LABEL\s+PREFIX\s+CREATED\s+REVOKED\n/);
    assert.match(keys.stdout, /\bci\b.*cpk_\S+.*\s-\n$/);
    assert.ok(!keys.stdout.includes(secret));
    const kid = /^(key_\S+)/m.exec(keys.stdout.split('\n')[1]!)![1]!;

    const revoked = await runCli(['tenant', 'api-key', 'revoke', kid, '--tenant', tid, ...local]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = JSON.parse((await runCli(['tenant', 'api-key', 'list', '--tenant', tid, '--json', ...local])).stdout) as Array<{ id: string; revokedAt: string | null }>;
    assert.equal(after.length, 1);
    assert.ok(after[0]!.revokedAt, 'revoked, and still listed');
    const twice = await runCli(['tenant', 'api-key', 'revoke', kid, '--tenant', tid, ...local]);
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /not found/i);

    const store = await openStore({ dataDir });
    try {
      const audit = (await store.audit.list(tid)).map((e) => `${e.actor} ${e.action}`);
      assert.deepEqual(audit.sort(), ['cli api-key.created', 'cli api-key.revoked', 'cli tenant.created']);
    } finally {
      await store.close();
    }
  });

  it('over --server with an operator key: the key it prints is one the API accepts; a tenant key reaches only its tenant', async () => {
    const [sqlite] = await backends();
    // Closed at the end of the run (the fixture's atEnd).
    const world = await startWorld(sqlite!);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'operator'), `${world.operatorKey}\n`);
    const remote = ['--server', world.url, '--api-key-file', path.join(dir, 'operator')];
    const created = await runCli(['tenant', 'create', '--name', 'Remote Co', '--json', ...remote]);
    assert.equal(created.code, 0, created.stderr);
    const tid = (JSON.parse(created.stdout) as { id: string }).id;
    const other = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'Other Co' })).body.id as string;

    const key = await runCli(['tenant', 'api-key', 'create', '--tenant', tid, ...remote]);
    assert.equal(key.code, 0, key.stderr);
    const secret = key.stdout.trim();
    assert.equal((await world.api(secret, 'GET', `/v1/tenants/${tid}`)).status, 200);

    const list = await runCli(['tenant', 'list', ...remote]);
    assert.match(list.stdout, /Remote Co/);
    assert.match(list.stdout, /Other Co/);

    // With the tenant's own key: its tenant only; another tenant's keys are a 404.
    fs.writeFileSync(path.join(dir, 'tenant'), `${secret}\n`);
    const asTenant = ['--server', world.url, '--api-key-file', path.join(dir, 'tenant')];
    const own = JSON.parse((await runCli(['tenant', 'list', '--json', ...asTenant])).stdout) as Array<{ id: string }>;
    assert.deepEqual(own.map((t) => t.id), [tid]);
    const foreign = await runCli(['tenant', 'api-key', 'list', '--tenant', other, ...asTenant]);
    assert.notEqual(foreign.code, 0);
    assert.match(foreign.stderr, /not found/i);
    const refused = await runCli(['tenant', 'create', '--name', 'Sneaky', ...asTenant]);
    assert.notEqual(refused.code, 0);

    const kid = (JSON.parse((await runCli(['tenant', 'api-key', 'list', '--tenant', tid, '--json', ...remote])).stdout) as Array<{ id: string }>)[0]!.id;
    assert.equal((await runCli(['tenant', 'api-key', 'revoke', kid, '--tenant', tid, ...remote])).code, 0);
    assert.equal((await world.api(secret, 'GET', `/v1/tenants/${tid}`)).status, 401, 'refused from the next request on');
  });

  it('says where to look when pointed nowhere, and creates nothing', async () => {
    const cwd = tempDir();
    const r = await runCli(['tenant', 'list'], { cwd, env: { CERTPUSH_DATA_DIR: undefined, DATABASE_URL: undefined, CERTPUSH_DATABASE_URL: undefined } });
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.stderr, /\[CLI_NO_DATA_SOURCE\]\n$/);
    assert.deepEqual(fs.readdirSync(cwd), []);
  });
});
