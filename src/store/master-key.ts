import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CertpushError } from '../errors.ts';

export const MASTER_KEY_FILE = 'master.key';

/**
 * The master key for secrets at rest: from `configured` (CERTPUSH_MASTER_KEY, base64 or hex of
 * 32 bytes), else from `<dataDir>/master.key`, created with mode 0600 on first start.
 * Processes sharing one PostgreSQL must share the key (same variable or file).
 */
export function loadMasterKey(configured: string, dataDir: string): { key: Buffer; source: 'env' | 'file' | 'created' } {
  if (configured) return { key: decodeKey(configured), source: 'env' };
  const file = path.join(dataDir, MASTER_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const key = crypto.randomBytes(32);
    // 'wx' fails if another process created it first; then we read theirs.
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return { key, source: 'created' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new CertpushError('MASTER_KEY_PERMISSIONS', `${file} is readable by other users (mode ${mode.toString(8)}). Run: chmod 600 ${file}`);
  }
  return { key: decodeKey(fs.readFileSync(file, 'utf8').trim()), source: 'file' };
}

function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new CertpushError('MASTER_KEY_INVALID', 'The master key must be 32 random bytes, base64 or hex encoded. Generate one with: openssl rand -base64 32');
  }
  return key;
}
