import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretBox, loadOrCreateDevKeyEncryptionKey } from '../../../src/crypto/secret-box.ts';

describe('secret box (AES-256-GCM)', () => {
  const box = createSecretBox(crypto.randomBytes(32));

  it('round-trips and never repeats a ciphertext', () => {
    const a = box.seal('signing key material', 'wardgate:key:sig:k1');
    const b = box.seal('signing key material', 'wardgate:key:sig:k1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('signing key material');
    expect(box.open(a, 'wardgate:key:sig:k1')).toBe('signing key material');
  });

  it('refuses a ciphertext moved to another purpose, tampered with, or opened with another key', () => {
    const sealed = box.seal('client secret', 'wardgate:client-secret:a');
    expect(() => box.open(sealed, 'wardgate:client-secret:b')).toThrow(/WARDGATE_KEY_ENCRYPTION_KEY/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered!').toString('base64url');
    expect(() => box.open(parts.join('.'), 'wardgate:client-secret:a')).toThrow(/cannot decrypt/);
    expect(() => createSecretBox(crypto.randomBytes(32)).open(sealed, 'wardgate:client-secret:a')).toThrow(/cannot decrypt/);
    expect(() => box.open('plain text', 'x')).toThrow(/unknown format/);
  });

  it('keeps a development key in the data directory, readable only by its owner, and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wardgate-kek-'));
    const first = loadOrCreateDevKeyEncryptionKey(dir);
    expect(first).toHaveLength(32);
    expect(fs.statSync(path.join(dir, 'key-encryption.key')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateDevKeyEncryptionKey(dir)).toEqual(first);
    fs.rmSync(dir, { recursive: true });
  });
});
