import { describe, expect, it } from 'vitest';
import { requestedAcrOf } from '../../../src/signin/context.ts';

const claims = (value: unknown) => ({ claims: JSON.stringify(value) });

describe('requestedAcrOf', () => {
  it('reads acr_values', () => {
    expect(requestedAcrOf({ acr_values: 'phr urn:wardgate:acr:1fa' })).toEqual(['phr', 'urn:wardgate:acr:1fa']);
  });

  it.each(['id_token', 'userinfo'])('reads an essential acr claim under %s, with value or values', (where) => {
    expect(requestedAcrOf(claims({ [where]: { acr: { essential: true, values: ['phr'] } } }))).toEqual(['phr']);
    expect(requestedAcrOf(claims({ [where]: { acr: { essential: true, value: 'phr' } } }))).toEqual(['phr']);
  });

  it('ignores a voluntary acr claim, and a claims parameter of the wrong shape', () => {
    expect(requestedAcrOf(claims({ userinfo: { acr: { values: ['phr'] } } }))).toEqual([]);
    expect(requestedAcrOf(claims({ userinfo: { acr: { essential: true, values: 'phr' } } }))).toEqual([]);
    expect(requestedAcrOf(claims({ userinfo: null, id_token: { acr: null } }))).toEqual([]);
    expect(requestedAcrOf({ claims: 'not json' })).toEqual([]);
  });

  it('merges acr_values with both claim locations without repeats', () => {
    expect(requestedAcrOf({ acr_values: 'phr', ...claims({ id_token: { acr: { essential: true, value: 'phr' } }, userinfo: { acr: { essential: true, values: ['phr'] } } }) })).toEqual(['phr']);
  });
});
