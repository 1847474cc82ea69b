import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveConfig, type ServiceConfig } from '../../src/config.ts';
import { startService } from '../../src/server/start.ts';
import { MASTER_KEY_FILE } from '../../src/store/master-key.ts';
import { backends } from '../fixtures/backends.ts';
import { tempDir } from '../fixtures/pki.ts';

for (const backend of await backends()) {
  describe(`the master key file on ${backend.name}`, { skip: backend.skip }, () => {
    async function configFor(): Promise<ServiceConfig> {
      const location = await backend.location();
      return { ...resolveConfig({}, {}), host: '127.0.0.1', port: 0, role: 'api', masterKey: '', logLevel: 'warn', ...location };
    }

    it('is created with mode 0600 on the first start and used again on the next', async () => {
      const config = await configFor();
      await (await startService(config, { logger: false })).close();
      const file = path.join(config.dataDir, MASTER_KEY_FILE);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const key = fs.readFileSync(file, 'utf8');
      await (await startService(config, { logger: false })).close();
      assert.equal(fs.readFileSync(file, 'utf8'), key);
    });

    it('when deleted under an existing database, refuses the start with a clear message and writes no new key', async () => {
      const config = await configFor();
      await (await startService(config, { logger: false })).close();
      const file = path.join(config.dataDir, MASTER_KEY_FILE);
      fs.rmSync(file);
      await assert.rejects(startService(config, { logger: false }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'MASTER_KEY_MISSING');
        assert.match(error.message, /does not exist.*Restore master\.key.*CERTPUSH_MASTER_KEY/);
        return true;
      });
      assert.equal(fs.existsSync(file), false, 'no new (wrong) key was left on disk');
    });

    it('on a new data directory for the same database, refuses the start and leaves no key there', { skip: backend.name === 'sqlite' && 'SQLite keeps its database in the data directory' }, async () => {
      const config = await configFor();
      await (await startService(config, { logger: false })).close();
      const elsewhere = tempDir('certpush-other-dir-');
      await assert.rejects(startService({ ...config, dataDir: elsewhere }, { logger: false }), { code: 'MASTER_KEY_MISSING' });
      assert.equal(fs.existsSync(path.join(elsewhere, MASTER_KEY_FILE)), false);
    });

    it('two first starts with different keys on one database: one wins, the other is refused and leaves no key file', { skip: backend.name === 'sqlite' && 'SQLite keeps its database in the data directory' }, async () => {
      const config = await configFor();
      const dirs = [tempDir('certpush-first-a-'), tempDir('certpush-first-b-')];
      const starts = await Promise.allSettled(dirs.map((dataDir) => startService({ ...config, dataDir }, { logger: false })));
      const started = starts.filter((s) => s.status === 'fulfilled');
      assert.equal(started.length, 1, starts.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'started')).join(' / '));
      await (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startService>>>).value.close();
      const refused = starts.findIndex((s) => s.status === 'rejected');
      assert.match(((starts[refused] as PromiseRejectedResult).reason as { code: string }).code, /^MASTER_KEY_(MISMATCH|MISSING)$/);
      assert.equal(fs.existsSync(path.join(dirs[refused]!, MASTER_KEY_FILE)), false, 'the refused start left no wrong key on disk');
    });
  });
}
