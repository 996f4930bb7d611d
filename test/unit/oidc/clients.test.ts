import { describe, expect, it } from 'vitest';
import { clientInputSchema } from '../../../src/oidc/clients.ts';

describe('client registration input', () => {
  it('defaults to a confidential code-flow client of standard sensitivity', () => {
    const parsed = clientInputSchema.parse({ client_name: 'EHR', redirect_uris: ['https://ehr.hospital.example/cb'] });
    expect(parsed).toMatchObject({
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      sensitivity: 'standard',
      first_party: false,
      id_token_signed_response_alg: 'ES256',
    });
  });

  it.each([
    [{ client_name: 'X' }, 'redirect_uris', 'required for the authorization_code grant'],
    [{ client_name: 'X', redirect_uris: ['https://a.example/cb#frag'] }, 'redirect_uris.0', 'without a fragment'],
    [{ client_name: 'X', grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 'grant_types', 'needs a confidential client'],
    [{ client_name: 'X', redirect_uris: ['https://a.example/cb'], sensitivity: 'critical' }, 'sensitivity', ''],
    [{ client_name: 'X', redirect_uris: ['https://a.example/cb'], jwks_uri: 'https://a.example/jwks' }, '', 'jwks_uri'],
    [{ client_name: 'X', redirect_uris: ['https://a.example/cb'], scope: 'openid foo' }, 'scope', 'must be space-separated scopes from'],
  ])('refuses %o naming %s', (input, path, message) => {
    const result = clientInputSchema.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(issue.path.join('.')).toBe(path);
    expect(issue.message).toContain(message);
  });
});
