/**
 * Network: does the sign-in come from inside a hospital site (one of its registered networks,
 * IPv4 or IPv6), or from anywhere else?
 */
import type { Signal } from './signal.ts';

export const networkSignal: Signal = {
  id: 'network',
  needsUser: false,
  async evaluate(context, ports) {
    const site = await ports.sites.containing(context.ip);
    if (!site) return [{ code: 'remote', details: { ip: context.ip } }];
    return [{ code: 'on_premises', details: { ip: context.ip, siteId: site.id, siteName: site.name } }];
  },
};
