import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CertpushError } from '../errors.ts';
import { createSecretBox, type SecretBox } from './secret-box.ts';
import type { MetaStore } from './roles/meta.ts';

export const MASTER_KEY_FILE = 'master.key';
/** The meta row holding a value derived from the master key (SecretBox.checkValue). */
const MASTER_KEY_CHECK = 'master-key-check';

/**
 * The master key for secrets at rest: from `configured` (CERTPUSH_MASTER_KEY, base64 or hex of
 * 32 bytes), else from `<dataDir>/master.key`, created with mode 0600 on first start.
 * `create: false` (the database already holds secrets sealed under some key) refuses a missing
 * file instead of writing a new key that could never open them.
 * Processes sharing one PostgreSQL must share the key (same variable or file).
 */
export function loadMasterKey(configured: string, dataDir: string, options: { create: boolean } = { create: true }): { key: Buffer; source: 'env' | 'file' | 'created'; file: string } {
  const file = path.join(dataDir, MASTER_KEY_FILE);
  if (configured) return { key: decodeKey(configured), source: 'env', file };
  if (!options.create && !fs.existsSync(file)) {
    throw new CertpushError('MASTER_KEY_MISSING', `This database holds secrets sealed with a master key, but ${file} does not exist and CERTPUSH_MASTER_KEY is not set. Restore master.key from your backup (mode 0600) or set CERTPUSH_MASTER_KEY; certpush does not create a new key for existing data, which could never open its secrets.`);
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (options.create) {
    try {
      const key = crypto.randomBytes(32);
      // 'wx' fails if another process created it first; then we read theirs.
      fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      return { key, source: 'created', file };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new CertpushError('MASTER_KEY_PERMISSIONS', `${file} is readable by other users (mode ${mode.toString(8)}). Run: chmod 600 ${file}`);
  }
  return { key: decodeKey(fs.readFileSync(file, 'utf8').trim()), source: 'file', file };
}

/**
 * Load the master key and check it against the database. The first start records a value
 * derived from the key; later starts must match it. A database that already has secrets never
 * gets a new key file (a deleted master.key must be restored, not replaced), and a key file
 * this start created is removed again when the database refuses it.
 */
export async function unlockSecrets(store: MetaStore, configured: string, dataDir: string): Promise<SecretBox> {
  const stored = await store.getMeta(MASTER_KEY_CHECK);
  const { key, source, file } = loadMasterKey(configured, dataDir, { create: stored === undefined });
  const secrets = createSecretBox(key);
  // First writer wins: two first starts on one PostgreSQL with different keys cannot both succeed.
  const expected = stored ?? await store.claimMeta(MASTER_KEY_CHECK, secrets.checkValue);
  if (expected !== secrets.checkValue) {
    if (source === 'created') fs.rmSync(file, { force: true });
    throw new CertpushError('MASTER_KEY_MISMATCH', 'The master key is not the one this database\'s secrets were sealed with. Use the same CERTPUSH_MASTER_KEY (or master.key file) as the process that created the data.');
  }
  return secrets;
}

function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new CertpushError('MASTER_KEY_INVALID', 'The master key must be 32 random bytes, base64 or hex encoded. Generate one with: openssl rand -base64 32');
  }
  return key;
}
