/** One JSON log line per request: method, route, status, duration, client IP. Never headers or bodies. */
import type { Middleware } from 'koa';
import type { Logger } from '../log.ts';

export function createRequestLog(log: Logger): Middleware {
  return async (ctx, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { oidc?: { route?: string } }).oidc?.route ?? (ctx.state.route as string | undefined);
      log.info(
        { method: ctx.method, path: ctx.path, route, status: ctx.status, ms: Math.round(performance.now() - start), ip: ctx.state.clientIp },
        'request',
      );
    }
  };
}
