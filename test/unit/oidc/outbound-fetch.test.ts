import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundFetch, isSpecialUse } from '../../../src/oidc/outbound-fetch.ts';

describe('outbound fetch for back-channel logout', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('refuses a loopback address, by IP or by name, when its network is not allowed', async () => {
    const fetchOut = createOutboundFetch(['10.0.0.0/8']);
    await expect(fetchOut(`http://127.0.0.1:${port}/`, {})).rejects.toThrow();
    await expect(fetchOut(`http://localhost:${port}/`, {})).rejects.toThrow();
  });

  it('calls an in-hospital address when its network is allowed', async () => {
    const fetchOut = createOutboundFetch(['loopback']);
    expect(await (await fetchOut(`http://localhost:${port}/`, {})).text()).toBe('ok');
  });

  it.each([
    ['10.1.2.3', true], ['192.168.0.1', true], ['169.254.169.254', true], ['::1', true], ['fd00::1', true], ['fe80::1', true],
    ['8.8.8.8', false], ['2a00:1450:4009::1', false],
  ])('classifies %s as special-use: %s', (address, special) => {
    expect(isSpecialUse(address)).toBe(special);
  });
});
