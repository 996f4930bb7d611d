import { describe, expect, it } from 'vitest';
import { usernameKey, validateUsername } from '../../../src/accounts/usernames.ts';

describe('usernames', () => {
  it('gives one key to spellings that differ by case, width or Unicode composition', () => {
    const composed = 'zoë.müller';
    const decomposed = 'zoe\u0308.mu\u0308ller';
    expect(usernameKey(decomposed)).toBe(usernameKey(composed));
    expect(usernameKey('ZOË.Müller')).toBe(usernameKey(composed));
    expect(usernameKey('ｍ.ｇｒｅｙ')).toBe('m.grey');
    expect(usernameKey('  M.Grey ')).toBe('m.grey');
  });

  it('keeps the display form normalised but not lower-cased', () => {
    expect(validateUsername(' Zoe\u0308.Müller ')).toBe('Zoë.Müller');
  });

  it.each(['', '.hidden', 'has space', 'semi;colon', 'x'.repeat(129)])('refuses %j', (name) => {
    expect(() => validateUsername(name)).toThrow(/^username: must be 1-128/);
  });
});
