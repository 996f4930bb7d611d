/**
 * Prometheus metrics (prom-client), one registry per Wardgate instance: requests by route and
 * status, latency histograms, and sign-ins by result. Route labels are route names, never raw
 * paths, so interaction ids and tokens cannot explode the label set.
 */
import client from 'prom-client';
import type { Middleware, ParameterizedContext } from 'koa';

export type SignInResult = 'success' | 'invalid_credentials' | 'account_disabled' | 'rate_limited' | 'error';

export interface Metrics {
  registry: client.Registry;
  middleware: Middleware;
  signIn(result: SignInResult): void;
}

function routeOf(ctx: ParameterizedContext): string {
  const oidcRoute = (ctx as { oidc?: { route?: string } }).oidc?.route;
  if (oidcRoute) return `oidc:${oidcRoute}`;
  const named = ctx.state.route as string | undefined;
  if (named) return named;
  return ctx.status === 404 ? 'not_found' : 'other';
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'wardgate_' });
  const requests = new client.Counter({
    name: 'wardgate_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'wardgate_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const signIns = new client.Counter({
    name: 'wardgate_sign_ins_total',
    help: 'Password sign-in attempts by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  return {
    registry,
    signIn(result) {
      signIns.inc({ result });
    },
    middleware: async (ctx, next) => {
      const end = process.hrtime.bigint();
      try {
        await next();
      } finally {
        const route = routeOf(ctx);
        const seconds = Number(process.hrtime.bigint() - end) / 1e9;
        requests.inc({ route, method: ctx.method, status: String(ctx.status) });
        duration.observe({ route, method: ctx.method }, seconds);
      }
    },
  };
}
