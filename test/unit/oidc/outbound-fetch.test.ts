import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundFetch } from '../../../src/oidc/outbound-fetch.ts';

describe('outbound fetch for back-channel logout', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => server.close());

  // Stands in for oidc-provider's SSRF-protected dispatcher: any use of it is visible.
  const guard = { dispatch: () => { throw new Error('protected dispatcher used'); } } as unknown as RequestInit['dispatcher'];

  it('keeps oidc-provider’s protection for addresses outside the allowed networks', async () => {
    const fetchOut = createOutboundFetch(['10.0.0.0/8']);
    await expect(fetchOut(url, { dispatcher: guard })).rejects.toThrow();
  });

  it('calls an in-hospital address directly when its network is allowed', async () => {
    const fetchOut = createOutboundFetch(['loopback']);
    const res = await fetchOut(url, { dispatcher: guard });
    expect(await res.text()).toBe('ok');
  });
});
