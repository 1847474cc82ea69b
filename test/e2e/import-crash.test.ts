import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { SQLITE_FILE } from '../../src/store/database.ts';
import { backends, type Backend } from '../fixtures/backends.ts';
import { spawnService } from '../fixtures/process.ts';
import { callApi, deviceToken, eventually, startSurroundings, type Surroundings } from '../fixtures/service.ts';

const DEVICES = 100_000;

/** Resolves once the service is writing devices: the moment a crash hurts most. */
function writing(backend: Backend, around: Surroundings): () => Promise<true | undefined> {
  if (backend.name === 'sqlite') {
    // The write-ahead log grows as the import's pages are written, committed or not.
    const wal = path.join(around.config.dataDir, `${SQLITE_FILE}-wal`);
    return async () => (fs.existsSync(wal) && fs.statSync(wal).size > 4 * 1024 * 1024 ? true : undefined);
  }
  const client = new pg.Client({ connectionString: around.config.databaseUrl });
  const connected = client.connect();
  return async () => {
    await connected;
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'insert into "devices"%'`);
    if (rows[0].n === 0) return undefined;
    await client.end();
    return true;
  };
}

for (const backend of await backends()) {
  describe(`an import killed mid-way on ${backend.name}`, { skip: backend.skip }, () => {
    it(`a SIGKILL while ${DEVICES.toLocaleString('en-US')} devices are being written leaves none or all of them after a restart`, async () => {
      const around = await startSurroundings(backend);
      const first = await spawnService(around.config);
      const api = (url: string, key: string, method: string, p: string, body?: unknown, headers?: Record<string, string>) => callApi(url, key, method, p, body, headers);
      const tid = (await api(first.url!, around.operatorKey, 'POST', '/v1/tenants', { name: 'Crash import' })).body.id as string;
      const key = (await api(first.url!, around.operatorKey, 'POST', `/v1/tenants/${tid}/api-keys`, {})).body.key as string;
      const body = Array.from({ length: DEVICES }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, 'c'), pushMagic: `m${i}` })).join('\n');

      const request = api(first.url!, key, 'POST', `/v1/tenants/${tid}/devices:import`, body, { 'content-type': 'application/x-ndjson' })
        .then((r) => `answered ${r.status}`, () => 'cut off');
      await eventually(writing(backend, around), 60_000, 'the import to be writing devices');
      assert.equal(await first.kill('SIGKILL'), 'SIGKILL');
      assert.equal(await request, 'cut off', 'the kill came before the import answered');

      const second = await spawnService(around.config);
      const total = (await api(second.url!, key, 'GET', `/v1/tenants/${tid}/devices?limit=1`)).body.total.total as number;
      assert.ok(total === 0 || total === DEVICES, `${total} of ${DEVICES} devices survived the crash; an import is all or nothing`);
      const again = await api(second.url!, key, 'POST', `/v1/tenants/${tid}/devices:import`, body, { 'content-type': 'application/x-ndjson' });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal((await api(second.url!, key, 'GET', `/v1/tenants/${tid}/devices?limit=1`)).body.total.total, DEVICES, 'the same import, sent again, completes');
      assert.equal(await second.kill('SIGTERM'), 0);
    });
  });
}
