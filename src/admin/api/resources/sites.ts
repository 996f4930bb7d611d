/** /sites: the hospital's sites and the networks that are their own (hospital/sites.ts). */
import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import { newSiteSchema, siteChangesSchema } from '../../../hospital/sites.ts';
import type { AdminDeps } from '../deps.ts';
import { operation } from '../operation.ts';
import { idParams } from '../router.ts';

export const siteSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    timezone: z.string().meta({ description: 'IANA timezone; shifts without an offset are read in it' }),
    country: z.string().meta({ description: 'ISO 3166-1 alpha-2' }),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    networks: z.array(z.string()).meta({ description: 'CIDR ranges, canonical, in address order' }),
  })
  .meta({ id: 'Site' });

export function siteOperations(deps: AdminDeps) {
  const find = async (id: string) => {
    const site = await deps.sites.get(id);
    if (!site) throw new AppError('not_found', `No site "${id}".`);
    return site;
  };
  return [
    operation({
      id: 'listSites',
      method: 'get',
      path: '/sites',
      tag: 'sites',
      summary: 'Every site with its networks',
      response: { status: 200, description: 'The sites', schema: z.object({ items: z.array(siteSchema) }) },
      handle: async () => ({ items: await deps.sites.list() }),
    }),
    operation({
      id: 'createSite',
      method: 'post',
      path: '/sites',
      tag: 'sites',
      summary: 'Create a site',
      body: newSiteSchema,
      response: { status: 201, description: 'The site as stored', schema: siteSchema },
      errors: [409],
      handle: async ({ body }, call) => {
        const site = await deps.sites.create(body);
        await deps.changes.record(call, { resource: 'site', action: 'create', id: site.id, after: site });
        return site;
      },
    }),
    operation({
      id: 'getSite',
      method: 'get',
      path: '/sites/{id}',
      tag: 'sites',
      summary: 'One site',
      params: idParams,
      response: { status: 200, description: 'The site', schema: siteSchema },
      errors: [404],
      handle: async ({ params }) => find(params.id),
    }),
    operation({
      id: 'updateSite',
      method: 'patch',
      path: '/sites/{id}',
      tag: 'sites',
      summary: 'Change a site; `networks`, when given, replaces all of its networks',
      params: idParams,
      body: siteChangesSchema,
      response: { status: 200, description: 'The site as stored', schema: siteSchema },
      errors: [404],
      handle: async ({ params, body }, call) => {
        const before = await find(params.id);
        const after = await deps.sites.update(params.id, body);
        await deps.changes.record(call, { resource: 'site', action: 'update', id: params.id, before, after });
        return after;
      },
    }),
    operation({
      id: 'deleteSite',
      method: 'delete',
      path: '/sites/{id}',
      tag: 'sites',
      summary: 'Delete a site and its networks (refused while terminals or shifts name it)',
      params: idParams,
      response: { status: 204, description: 'Deleted' },
      errors: [404, 409],
      handle: async ({ params }, call) => {
        const before = await find(params.id);
        await deps.sites.delete(params.id);
        await deps.changes.record(call, { resource: 'site', action: 'delete', id: params.id, before });
      },
    }),
  ];
}
