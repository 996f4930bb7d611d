/**
 * The simulator and replay: try the risk policy without touching anyone's sign-in. The simulator
 * decides one described sign-in (who, from where, with which browser, when, at which terminal, into
 * which app) and shows the decision in plain language with each finding's points; replay judges a
 * window of recorded decisions again under a draft and counts what would change. Operations:
 * simulate, replayPolicy (and listTerminals, listClients, getPolicy to fill the forms).
 */
import type { ParameterizedContext } from 'koa';
import type { PageDeps } from '../routes.ts';
import { findingLabel, instantOf, localInput, OUTCOME_LABELS, when } from '../format.ts';
import { defined, documentField, failure, formOf, optional, queryText, type Failure } from '../kit.ts';
import { zonesFor, type Zones } from './zones.ts';
import { STATUS_LABELS } from './terminals.ts';
import type { z } from 'zod';
import type { clientSchema } from '../../api/resources/clients.ts';

type Client = z.output<typeof clientSchema>;

/** A draft typed as JSON: the document, or the parse error to show beside the field. */
function draftOf(text: string | undefined, field: string): { value?: unknown; error?: Failure } {
  const trimmed = text?.trim();
  if (!trimmed) return {};
  try {
    return { value: JSON.parse(trimmed) };
  } catch (error) {
    return { error: failure(422, 'not JSON', [{ pointer: `/${field}`, message: `is not valid JSON: ${(error as Error).message}` }]) };
  }
}

const SIM_LABELS = { username: 'Username', ip: 'IP address', userAgent: 'Browser (User-Agent)', at: 'Time', terminalId: 'Terminal', clientId: 'App', acrValues: 'Proof the app asks for', policy: 'Draft policy' };
const REPLAY_LABELS = { policy: 'Draft policy', from: 'From', to: 'To' };

export function simulatorPages({ router, kit, documentForm }: PageDeps) {
  const activePolicy = async (ctx: ParameterizedContext) => JSON.stringify((await kit.invoke<{ document: unknown }>(ctx, 'getPolicy')).document, null, 2);

  // Each handler reads the zones once (the sites) and hands them to its page.
  const simulatorPage = async (ctx: ParameterizedContext, { zone, zones }: Zones, values: Record<string, string>, extra: { failure?: Failure; result?: unknown } = {}, status = 200) => {
    const [{ items: terminals }, { items: clients }] = await Promise.all([
      kit.invoke<{ items: Array<{ id: string; name: string; siteId: string; unit: string | null; status: string }> }>(ctx, 'listTerminals'),
      kit.invoke<{ items: Client[] }>(ctx, 'listClients'),
    ]);
    kit.render(
      ctx,
      'simulator',
      {
        title: 'Simulator',
        nav: 'simulator',
        values: { zone, ...values },
        zones,
        terminals: terminals.filter((t) => t.status !== 'pending'),
        statuses: STATUS_LABELS,
        clients: clients.map((c) => ({ id: c.client_id, name: c.client_name })),
        failure: extra.failure,
        result: extra.result,
        labels: SIM_LABELS,
        outcomes: OUTCOME_LABELS,
        findingLabel,
        when,
      },
      status,
    );
  };

  router.get('/simulator', async (ctx) => {
    const q = (name: string) => queryText(ctx, name);
    const values = { username: q('username'), ip: q('ip'), userAgent: q('userAgent') || ctx.get('user-agent'), at: '', terminalId: q('terminalId'), clientId: q('clientId'), acrValues: '', policy: '', zone: q('zone') };
    await simulatorPage(ctx, await zonesFor(kit, ctx, values.zone), values);
  });

  router.post('/simulator', documentForm, async (ctx) => {
    const values = formOf(ctx);
    const times = await zonesFor(kit, ctx, values.zone);
    const draft = draftOf(values.policy, 'policy');
    if (draft.error) return simulatorPage(ctx, times, values, { failure: draft.error }, 422);
    const body = defined({
      username: optional(values.username) ?? '',
      ip: optional(values.ip) ?? '',
      userAgent: values.userAgent?.trim() ?? '',
      at: instantOf(values.at, times.zone),
      terminalId: optional(values.terminalId),
      clientId: optional(values.clientId),
      acrValues: optional(values.acrValues),
      policy: draft.value,
    });
    const result = await kit.attempt(ctx, 'simulate', { body }, documentField('policy'));
    if (!result.ok) return simulatorPage(ctx, times, values, { failure: result }, result.status);
    await simulatorPage(ctx, times, values, { result: result.value });
  });

  const replayPage = (ctx: ParameterizedContext, { zone, zones }: Zones, values: Record<string, string>, extra: { failure?: Failure; result?: unknown } = {}, status = 200) => {
    kit.render(ctx, 'replay', { title: 'Replay', nav: 'replay', values: { zone, ...values }, zones, failure: extra.failure, result: extra.result, labels: REPLAY_LABELS, outcomes: OUTCOME_LABELS, when }, status);
  };

  router.get('/replay', async (ctx) => {
    const times = await zonesFor(kit, ctx, ctx.query.zone);
    const { zone } = times;
    const now = Date.now();
    replayPage(ctx, times, { zone, policy: await activePolicy(ctx), from: localInput(now - 7 * 86_400_000, zone), to: localInput(now + 60_000, zone) });
  });

  router.post('/replay', documentForm, async (ctx) => {
    const values = formOf(ctx);
    const times = await zonesFor(kit, ctx, values.zone);
    const draft = draftOf(values.policy, 'policy');
    if (draft.error) return replayPage(ctx, times, values, { failure: draft.error }, 422);
    const body = { policy: draft.value ?? null, from: instantOf(values.from, times.zone) ?? '', to: instantOf(values.to, times.zone) ?? '' };
    const result = await kit.attempt(ctx, 'replayPolicy', { body }, documentField('policy'));
    if (!result.ok) return replayPage(ctx, times, values, { failure: result }, result.status);
    replayPage(ctx, times, values, { result: result.value });
  });
}
