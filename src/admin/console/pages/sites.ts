/**
 * Sites and their networks: list, create, edit (networks one CIDR per line), delete after a
 * confirmation. Operations: listSites, createSite, getSite, updateSite, deleteSite.
 */
import type { ParameterizedContext } from 'koa';
import type { PageDeps } from '../routes.ts';
import { TIMEZONES } from '../format.ts';
import { defined, formOf, lines, numberOrText, optional, type Failure } from '../kit.ts';
import type { z } from 'zod';
import type { siteSchema } from '../../api/resources/sites.ts';

type Site = z.output<typeof siteSchema>;

const LABELS = { id: 'Site id', name: 'Name', timezone: 'Timezone', country: 'Country', latitude: 'Latitude', longitude: 'Longitude', networks: 'Networks' };

/** The form's fields as the API's body. */
function siteBody(form: Record<string, string>, withId: boolean) {
  return defined({
    ...(withId ? { id: optional(form.id) ?? '' } : {}),
    name: optional(form.name) ?? '',
    timezone: optional(form.timezone) ?? '',
    country: (optional(form.country) ?? '').toUpperCase(),
    latitude: numberOrText(form.latitude) ?? null,
    longitude: numberOrText(form.longitude) ?? null,
    networks: lines(form.networks),
  });
}

const formOfSite = (site: Site) => ({
  id: site.id,
  name: site.name,
  timezone: site.timezone,
  country: site.country,
  latitude: site.latitude ?? '',
  longitude: site.longitude ?? '',
  networks: site.networks.join('\n'),
});

export function sitePages({ router, kit, form }: PageDeps) {
  const list = async (ctx: ParameterizedContext, extra: { values?: Record<string, unknown>; failure?: Failure } = {}, status = 200) => {
    const { items } = await kit.invoke<{ items: Site[] }>(ctx, 'listSites');
    kit.render(ctx, 'sites', { title: 'Sites and networks', nav: 'sites', sites: items, values: extra.values ?? {}, failure: extra.failure, labels: LABELS, timezones: TIMEZONES }, status);
  };

  const edit = async (ctx: ParameterizedContext, site: Site, extra: { values?: Record<string, unknown>; failure?: Failure } = {}, status = 200) => {
    kit.render(ctx, 'site', { title: `Site ${site.name}`, nav: 'sites', site, values: extra.values ?? formOfSite(site), failure: extra.failure, labels: LABELS, timezones: TIMEZONES }, status);
  };

  router.get('/sites', (ctx) => list(ctx));

  router.post('/sites', form, async (ctx) => {
    const values = formOf(ctx);
    const result = await kit.attempt<Site>(ctx, 'createSite', { body: siteBody(values, true) });
    if (!result.ok) return list(ctx, { values, failure: result }, result.status);
    kit.redirect(ctx, `/admin/sites/${encodeURIComponent(result.value.id)}`, `Site "${result.value.name}" created with ${result.value.networks.length} network${result.value.networks.length === 1 ? '' : 's'}.`);
  });

  /** The site the path names; an unknown one is the error page's 404. */
  const found = (ctx: ParameterizedContext) => kit.invoke<Site>(ctx, 'getSite', { params: { id: ctx.params.id } });

  router.get('/sites/:id', async (ctx) => edit(ctx, await found(ctx)));

  router.post('/sites/:id', form, async (ctx) => {
    const site = await found(ctx);
    const values = formOf(ctx);
    const result = await kit.attempt<Site>(ctx, 'updateSite', { params: { id: site.id }, body: siteBody(values, false) });
    if (!result.ok) return edit(ctx, site, { values: { ...values, id: site.id }, failure: result }, result.status);
    kit.redirect(ctx, `/admin/sites/${encodeURIComponent(site.id)}`, `Site "${result.value.name}" saved.`);
  });

  router.get('/sites/:id/delete', async (ctx) => {
    const site = await found(ctx);
    kit.render(ctx, 'site-delete', { title: `Delete ${site.name}?`, nav: 'sites', site });
  });

  router.post('/sites/:id/delete', form, async (ctx) => {
    const site = await found(ctx);
    const result = await kit.attempt(ctx, 'deleteSite', { params: { id: site.id } });
    if (!result.ok) return kit.render(ctx, 'site-delete', { title: `Delete ${site.name}?`, nav: 'sites', site, failure: result }, result.status);
    kit.redirect(ctx, '/admin/sites', `Site "${site.name}" deleted.`);
  });
}
