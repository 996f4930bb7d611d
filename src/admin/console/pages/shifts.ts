/**
 * The rota: shifts per site and day (in the site's timezone), adding one, deleting one, and a CSV
 * upload (the file's text, read by public/admin/shifts.js or pasted, sent as the importShifts body)
 * whose bad lines are each shown with their line, column and message. Operations: listShifts,
 * createShift, deleteShift, importShifts, listSites.
 */
import type { ParameterizedContext } from 'koa';
import { DateTime } from 'luxon';
import type { PageDeps } from '../routes.ts';
import { dayBounds, today } from '../format.ts';
import { defined, formOf, optional, queryText, type Failure } from '../kit.ts';
import type { z } from 'zod';
import type { shiftSchema } from '../../api/resources/shifts.ts';
import type { siteSchema } from '../../api/resources/sites.ts';

type Site = Pick<z.output<typeof siteSchema>, 'id' | 'name' | 'timezone'>;
type Shift = z.output<typeof shiftSchema>;

const LABELS = { username: 'Username', siteId: 'Site', start: 'Start', end: 'End', kind: 'Kind', externalId: 'Rota id' };

/** "2026-11-29T07:00:00.000+00:00" at the site → "07:00", with the date when it is another day. */
function clock(local: string, day: string): string {
  const dt = DateTime.fromISO(local, { setZone: true });
  if (!dt.isValid) return local;
  return dt.toISODate() === day ? dt.toFormat('HH:mm') : dt.toFormat('d LLL HH:mm');
}

export function shiftPages({ router, kit, form, documentForm }: PageDeps) {
  const page = async (
    ctx: ParameterizedContext,
    extra: { values?: Record<string, string>; failure?: Failure; csv?: string; csvFailure?: Failure; siteId?: string; day?: string } = {},
    status = 200,
  ) => {
    const { items: sites } = await kit.invoke<{ items: Site[] }>(ctx, 'listSites');
    const asked = extra.siteId ?? queryText(ctx, 'siteId');
    const site = sites.find((s) => s.id === asked) ?? sites[0];
    const zone = site?.timezone ?? 'UTC';
    const askedDay = extra.day ?? queryText(ctx, 'day');
    const day = dayBounds(askedDay, zone) ? askedDay : today(zone);
    const bounds = dayBounds(day, zone)!;
    const username = queryText(ctx, 'username').trim();
    const found = site
      ? await kit.attempt<{ items: Shift[] }>(ctx, 'listShifts', { query: defined({ siteId: site.id, from: bounds.from, to: bounds.to, username: optional(username) }) })
      : undefined;
    const [dayStart, dayEnd] = [new Date(bounds.from).toISOString(), new Date(bounds.to).toISOString()];
    const shifts = found?.ok ? found.value.items.filter((s) => s.end > dayStart && s.start < dayEnd) : [];
    const shiftDay = (offset: number) => DateTime.fromISO(day, { zone }).plus({ days: offset }).toISODate()!;
    const link = (d: string) => `/admin/shifts?${new URLSearchParams(defined({ siteId: site?.id, day: d, username: optional(username) }) as Record<string, string>)}`;
    kit.render(
      ctx,
      'shifts',
      {
        title: 'Shifts',
        nav: 'shifts',
        scripts: ['shifts.js'],
        sites,
        site,
        day,
        dayLabel: DateTime.fromISO(day, { zone }).toFormat('cccc d LLLL yyyy'),
        previous: link(shiftDay(-1)),
        next: link(shiftDay(1)),
        username,
        shifts: shifts.map((s) => ({ ...s, from: clock(s.startLocal, day), to: clock(s.endLocal, day) })),
        searchFailure: found && !found.ok ? found : undefined,
        values: extra.values ?? { siteId: site?.id ?? '', kind: 'scheduled', start: `${day}T08:00`, end: `${day}T20:00` },
        failure: extra.failure,
        csv: extra.csv ?? '',
        csvFailure: extra.csvFailure,
        labels: LABELS,
      },
      status,
    );
  };

  router.get('/shifts', (ctx) => page(ctx));

  router.post('/shifts', form, async (ctx) => {
    const values = formOf(ctx);
    // Times from the browser have no offset: the API reads them in the site's timezone.
    const body = defined({
      username: optional(values.username) ?? '',
      siteId: optional(values.siteId) ?? '',
      start: optional(values.start) ?? '',
      end: optional(values.end) ?? '',
      kind: optional(values.kind),
      externalId: optional(values.externalId),
    });
    const result = await kit.attempt<Shift>(ctx, 'createShift', { body });
    const day = (values.start ?? '').slice(0, 10);
    if (!result.ok) return page(ctx, { values, failure: result, siteId: values.siteId, day }, result.status);
    kit.redirect(ctx, `/admin/shifts?${new URLSearchParams({ siteId: result.value.siteId, day: result.value.startLocal.slice(0, 10) })}`, `Shift added for ${result.value.username}.`);
  });

  router.post('/shifts/import', documentForm, async (ctx) => {
    const values = formOf(ctx);
    const csv = values.csv ?? '';
    const result = await kit.attempt<{ created: number; updated: number; unchanged: number }>(ctx, 'importShifts', { body: csv });
    if (!result.ok) return page(ctx, { csv, csvFailure: result, siteId: values.siteId, day: values.day }, result.status);
    const { created, updated, unchanged } = result.value;
    kit.redirect(
      ctx,
      `/admin/shifts?${new URLSearchParams(defined({ siteId: optional(values.siteId), day: optional(values.day) }) as Record<string, string>)}`,
      `Rota imported: ${created} shift${created === 1 ? '' : 's'} added, ${updated} updated, ${unchanged} already as stored.`,
    );
  });

  router.post('/shifts/:id/delete', form, async (ctx) => {
    const values = formOf(ctx);
    const result = await kit.attempt(ctx, 'deleteShift', { params: { id: ctx.params.id } });
    const back = `/admin/shifts?${new URLSearchParams(defined({ siteId: optional(values.siteId), day: optional(values.day) }) as Record<string, string>)}`;
    if (!result.ok) return page(ctx, { failure: result, siteId: values.siteId, day: values.day }, result.status);
    kit.redirect(ctx, back, 'Shift deleted.');
  });
}
