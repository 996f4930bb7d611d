import { describe, expect, it } from 'vitest';
import { hashPassword, validatePassword, verifyPassword } from '../../../src/accounts/passwords.ts';

describe('passwords', () => {
  it('hashes with argon2id at OWASP parameters (19 MiB, t=2, p=1)', async () => {
    const hash = await hashPassword('a long enough passphrase');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'a long enough passphrase')).toBe(true);
    expect(await verifyPassword(hash, 'a long enough passphrasE')).toBe(false);
  });

  it('answers false, after the same work, when there is no stored hash', async () => {
    expect(await verifyPassword(undefined, 'anything at all here')).toBe(false);
    expect(await verifyPassword(null, '')).toBe(false);
  });

  it('answers false for a corrupt stored hash instead of throwing', async () => {
    expect(await verifyPassword('$argon2id$garbage', 'anything at all here')).toBe(false);
  });

  it('refuses passwords shorter than 12 or longer than 1024 characters', () => {
    expect(() => validatePassword('short')).toThrow('password: must be at least 12 characters');
    expect(() => validatePassword('x'.repeat(1025))).toThrow('password: must be at most 1024 characters');
    expect(() => validatePassword('twelve chars')).not.toThrow();
  });
});
