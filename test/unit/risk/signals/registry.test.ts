/**
 * The signal registry: one signal per id the policy knows, only the shift signal waits for the
 * user, and no signal imports another (they share only signal.ts and what lies outside signals/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIGNAL_IDS } from '../../../../src/risk/policy.ts';
import { SIGNALS } from '../../../../src/risk/signals/index.ts';

const folder = path.resolve(import.meta.dirname, '../../../../src/risk/signals');

describe('signal registry', () => {
  it('lists exactly one signal for every signal id of the policy', () => {
    expect(SIGNALS.map((s) => s.id).sort()).toEqual([...SIGNAL_IDS].sort());
  });

  it('lets every signal but the shift run before the password is checked', () => {
    expect(SIGNALS.filter((s) => s.needsUser).map((s) => s.id)).toEqual(['shift']);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(SIGNALS)).toBe(true);
  });

  it('keeps signals apart: a signal imports no other signal', () => {
    const signalFiles = fs.readdirSync(folder).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'signal.ts');
    expect(signalFiles.length).toBe(SIGNAL_IDS.length);
    const crossings = signalFiles.flatMap((file) => {
      const text = fs.readFileSync(path.join(folder, file), 'utf8');
      return [...text.matchAll(/from\s+['"](\.\/[^'"]+)['"]/g)].map((m) => m[1]!).filter((spec) => spec !== './signal.ts').map((spec) => `${file} imports ${spec}`);
    });
    expect(crossings).toEqual([]);
  });
});
