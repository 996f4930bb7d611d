/**
 * The timezones a form's times can be read in: the sites' own, then UTC; the first site's is the
 * default. Every form with times carries a "Times in" field so the service desk can think in the
 * hospital's local time. Operation: listSites.
 */
import type { ParameterizedContext } from 'koa';
import type { Kit } from '../kit.ts';

/** The zone chosen (or the default) and the zones to choose from. */
export interface Zones {
  zone: string;
  zones: Array<{ value: string; label: string }>;
}

export async function zonesFor(kit: Kit, ctx: ParameterizedContext, chosen: unknown): Promise<Zones> {
  const { items } = await kit.invoke<{ items: Array<{ name: string; timezone: string }> }>(ctx, 'listSites');
  const names = new Map<string, string[]>();
  for (const site of items) names.set(site.timezone, [...(names.get(site.timezone) ?? []), site.name]);
  const zones = [...names].map(([zone, sites]) => ({ value: zone, label: `${zone} (${sites.join(', ')})` }));
  if (!names.has('UTC')) zones.push({ value: 'UTC', label: 'UTC' });
  // Sites' timezones are canonical IANA names (checked when a site is saved); UTC is always offered.
  const zone = typeof chosen === 'string' && zones.some((z) => z.value === chosen) ? chosen : zones[0]!.value;
  return { zone, zones };
}
