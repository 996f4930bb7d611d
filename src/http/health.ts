/** Liveness (/healthz: the process answers) and readiness (/readyz: the database answers, else 503). */
import Router from '@koa/router';
import type { Logger } from '../log.ts';
import type { Metrics } from './metrics.ts';

export function createHealthRoutes(deps: { ready: () => Promise<void>; metrics: Metrics; log: Logger }) {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.state.route = 'healthz';
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.state.route = 'readyz';
    try {
      await deps.ready();
      ctx.body = { status: 'ready' };
    } catch (error) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'database unreachable' };
      deps.log.warn({ err: error }, 'not ready: database unreachable');
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.state.route = 'metrics';
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  return router;
}
