/**
 * Encryption at rest for keys and client secrets: AES-256-GCM under the key-encryption key, a
 * fresh 96-bit IV per value, the purpose bound in as additional authenticated data so that a
 * ciphertext cannot be moved from one column to another. Format: v1.<iv>.<tag>.<ciphertext>.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.ts';

export interface SecretBox {
  seal(plaintext: string, purpose: string): string;
  open(sealed: string, purpose: string): string;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new AppError('key_encryption_failed', 'key-encryption key must be 32 bytes');
  return {
    seal(plaintext, purpose) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(purpose));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed, purpose) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) {
        throw new AppError('key_encryption_failed', 'sealed value has an unknown format');
      }
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(purpose));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new AppError(
          'key_encryption_failed',
          'cannot decrypt stored key material: WARDGATE_KEY_ENCRYPTION_KEY is not the key it was encrypted with',
          { cause },
        );
      }
    },
  };
}

/**
 * Development only: keep a key-encryption key in dataDir/key-encryption.key (mode 0600), created on
 * first use. Production refuses to start without WARDGATE_KEY_ENCRYPTION_KEY (see config.ts).
 */
export function loadOrCreateDevKeyEncryptionKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'key-encryption.key');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new AppError('key_encryption_failed', `${file} does not hold a 32-byte base64 key`);
  return key;
}
