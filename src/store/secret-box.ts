import crypto from 'node:crypto';
import { CertpushError } from '../errors.ts';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals secrets at rest with AES-256-GCM under the master key. The associated data names
 * where the secret belongs ("tenant:<id>:mdm-key"), so a sealed value copied to another row
 * or tenant does not open.
 */
export interface SecretBox {
  seal(plaintext: string | Uint8Array, context: string): string;
  open(sealed: string, context: string): Buffer;
  /** A value derived from the key, stored to detect a wrong master key at start-up. */
  readonly checkValue: string;
}

export function createSecretBox(masterKey: Uint8Array): SecretBox {
  if (masterKey.length !== 32) throw new CertpushError('MASTER_KEY_INVALID', 'The master key must be 32 bytes (256 bits).');
  const key = Buffer.from(masterKey);
  return {
    checkValue: crypto.createHmac('sha256', key).update('certpush master key check').digest('hex').slice(0, 32),
    seal(plaintext, context) {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    open(sealed, context) {
      const [version, data] = sealed.split(':');
      if (version !== VERSION || !data) throw new CertpushError('SECRET_CORRUPT', 'A stored secret is not in a format this certpush reads.');
      const raw = Buffer.from(data, 'base64');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      } catch {
        throw new CertpushError('SECRET_UNREADABLE', 'A stored secret could not be decrypted: the master key differs from the one it was sealed with, or the data was altered.');
      }
    },
  };
}
