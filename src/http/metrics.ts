/**
 * Prometheus metrics (prom-client), one registry per Wardgate instance: requests by route and
 * status, latency histograms, and sign-ins by result. Route labels are route names, never raw
 * paths, so interaction ids and tokens cannot explode the label set.
 */
import client from 'prom-client';
import type { Middleware, ParameterizedContext } from 'koa';

export type SignInResult = 'success' | 'invalid_credentials' | 'account_disabled' | 'rate_limited' | 'step_up' | 'blocked';

export interface Metrics {
  registry: client.Registry;
  middleware: Middleware;
  signIn(result: SignInResult): void;
  /** One risk decision: its outcome, every finding code, and how long it took with its data access. */
  decided(decision: { outcome: string; findings: { code: string }[] }, phase: string, seconds: number): void;
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
  const decisions = new client.Counter({
    name: 'wardgate_decisions_total',
    help: 'Risk decisions by outcome and phase (pre_password, password, session)',
    labelNames: ['outcome', 'phase'] as const,
    registers: [registry],
  });
  const findings = new client.Counter({
    name: 'wardgate_decision_findings_total',
    help: 'Findings in risk decisions, by finding code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const decisionSeconds = new client.Histogram({
    name: 'wardgate_decision_duration_seconds',
    help: 'Time to reach a risk decision, data access included',
    labelNames: ['phase'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  return {
    registry,
    signIn(result) {
      signIns.inc({ result });
    },
    decided(decision, phase, seconds) {
      decisions.inc({ outcome: decision.outcome, phase });
      for (const finding of decision.findings) findings.inc({ code: finding.code });
      decisionSeconds.observe({ phase }, seconds);
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
