/**
 * Composition root: config → database → stores → provider → Koa → listen. The only place that
 * wires adapters into the rest. `startWardgate` returns a handle whose `close()` drains in-flight
 * requests and closes the database, as SIGTERM does in `wardgate start`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import { createAccounts } from './accounts/accounts.ts';
import { prepareDummyHash } from './accounts/passwords.ts';
import { runBootstrap } from './bootstrap.ts';
import type { Config } from './config.ts';
import { createSecretBox, loadOrCreateDevKeyEncryptionKey, type SecretBox } from './crypto/secret-box.ts';
import { DEMO_CLIENT_ID, DEMO_USERS, seedDemo, type DemoSummary } from './demo/seed.ts';
import { createDemoRoutes } from './demo/relying-app.ts';
import { createEnrollmentRoutes } from './hospital/enrollment-routes.ts';
import { createSites, type Sites } from './hospital/sites.ts';
import { createShifts } from './hospital/shifts.ts';
import { createTerminals, type Terminals } from './hospital/terminals.ts';
import { createAuditLog } from './audit/log.ts';
import { auditSignOuts } from './audit/sign-out.ts';
import { createAdminAuth } from './admin/api/auth.ts';
import { ADMIN_CONSOLE_CLIENT_ID, createAdminConsole, CONSOLE_PREFIX, registerAdminConsoleClient } from './admin/console/routes.ts';
import { createChanges } from './audit/changes.ts';
import { adminOperations } from './admin/api/operations.ts';
import { createAdminApi } from './admin/api/router.ts';
import { createWebAuthnStore } from './store/webauthn.ts';
import { createWebAuthn, relyingPartyOf } from './webauthn/service.ts';
import { createEnrollmentLinkRoutes } from './webauthn/enrollment-routes.ts';
import { ACCOUNT_CLIENT_ID, createAccountRoutes, registerAccountClient } from './oidc/account/routes.ts';
import { describeDevice } from './device/user-agent.ts';
import { createGeoLookup } from './geo/geoip.ts';
import type { RiskDeps } from './oidc/interactions/routes.ts';
import { createPolicies } from './policy/policies.ts';
import type { RiskPorts } from './risk/ports.ts';
import { SIGNALS } from './risk/signals/index.ts';
import { createAssessor, type Assessor, type DecisionPorts } from './signin/assessor.ts';
import { createSignInHistory } from './signin/history.ts';
import { createDecisionSnapshotPorts, createSnapshotPorts } from './signin/snapshot-ports.ts';
import { createThrottle } from './signin/throttle.ts';
import { createAttemptKeeper } from './signin/attempt-keeper.ts';
import { createDecisionStore } from './store/decisions.ts';
import { createFailedAttemptStore } from './store/failed-attempts.ts';
import { createHistoryStore } from './store/sign-in-history.ts';
import { createClientIp } from './http/client-ip.ts';
import { createBodyLimit, createErrorHandler } from './http/errors.ts';
import { createHealthRoutes } from './http/health.ts';
import { createMetrics } from './http/metrics.ts';
import { createRequestLog } from './http/request-log.ts';
import { createSecurityHeaders } from './http/security-headers.ts';
import { createStaticFiles } from './http/static-files.ts';
import { createViews } from './http/views.ts';
import { createLogger, type Logger } from './log.ts';
import { createClientRegistry } from './oidc/clients.ts';
import { createInteractionRoutes } from './oidc/interactions/routes.ts';
import { createInteractionCookieBinding } from './oidc/interactions/cookie-binding.ts';
import { ensureKeys, loadKeys } from './oidc/keys.ts';
import { createAdapterFactory } from './oidc/knex-adapter.ts';
import { createProvider } from './oidc/provider.ts';
import { checkDatabase, createDb, isPostgres, type Db } from './store/db.ts';
import { createClientStore } from './store/clients.ts';
import { createKeyStore } from './store/keys.ts';
import { migrateLatest, withStartupLock } from './store/migrate.ts';
import { createPayloadStore } from './store/oidc-payloads.ts';
import { createRiskSnapshotStore, decisionReadLane } from './store/risk-snapshot.ts';
import { createUserStore } from './store/users.ts';
import { inTransaction } from './store/unit-of-work.ts';

export interface Wardgate {
  url: string;
  issuer: string;
  server: http.Server;
  db: Db;
  log: Logger;
  /** Evaluates sign-in contexts; `simulate` writes nothing (for the simulator and drafts). */
  assessor: Assessor;
  close(): Promise<void>;
}

const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

export function openSecretBox(config: Config): SecretBox {
  return createSecretBox(config.keyEncryptionKey ?? loadOrCreateDevKeyEncryptionKey(config.dataDir));
}

/**
 * The risk engine's ports over the hospital services, the stores, geoip-lite and ua-parser-js.
 * Every port reads; nothing here writes, so the same ports serve simulation. On PostgreSQL the
 * database ports are answered by one prepared statement per decision (signin/snapshot-ports.ts),
 * and `forDecision` gives each decision its own ports that also report the active policy version
 * (signin/assessor.ts); on SQLite, in process, each port keeps its own query (as it does on
 * PostgreSQL with `perPortQueries`, for comparison). `decisionReads` is the pool that statement
 * runs on (store/risk-snapshot.ts `decisionReadLane`; `db` unless given).
 */
export function createRiskPorts(
  db: Db,
  services: { sites: Sites; terminals: Terminals },
  options: { perPortQueries?: boolean; decisionReads?: Db } = {},
): RiskPorts & { forDecision?: () => DecisionPorts } {
  const adapters = { geo: createGeoLookup(), devices: { describe: describeDevice } };
  if (isPostgres(db) && !options.perPortQueries) {
    const snapshots = createRiskSnapshotStore(options.decisionReads ?? db);
    return {
      ...createSnapshotPorts((request) => snapshots.read(request)),
      ...adapters,
      forDecision() {
        const scope = createDecisionSnapshotPorts((request) => snapshots.read(request));
        return { ports: { ...scope.ports, ...adapters }, policyVersions: scope.policyVersions };
      },
    };
  }
  const shifts = createShifts(db);
  const history = createHistoryStore(db);
  const failures = createFailedAttemptStore(db);
  return {
    shifts: { overlapping: (userId, from, to) => shifts.overlapping(userId, from, to) },
    terminals: { identify: (credential) => services.terminals.identify(credential) },
    sites: { containing: (ip) => services.sites.containing(ip), countries: () => services.sites.countries() },
    ...adapters,
    history: {
      async lastSuccess(userId, before) {
        const row = await history.lastSuccess(userId, before.getTime());
        return row ? { at: new Date(row.at), country: row.country, latitude: row.latitude, longitude: row.longitude, accuracyKm: row.accuracy_km } : null;
      },
      deviceSeen: (userId, fingerprint, since) => history.deviceSeen(userId, fingerprint, since.getTime()),
    },
    failures: {
      count: async ({ userId, ip, since }) => failures.counts({ userId, ip, since: since.getTime(), onPremises: (await services.sites.containing(ip)) !== null }),
    },
  };
}

/** Database, migrations and everything that must exist before serving, under the startup lock. */
export async function prepareDatabase(config: Config, log: Logger): Promise<{ db: Db; box: SecretBox }> {
  const db = createDb(config.database);
  try {
    await checkDatabase(db);
    const box = openSecretBox(config);
    await withStartupLock(db, async () => {
      const applied = await migrateLatest(db);
      if (applied.length) log.info({ migrations: applied }, 'database migrated');
      const created = await ensureKeys(createKeyStore(db), box);
      if (created.length) log.info({ kids: created }, 'keys created');
    });
    return { db, box };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

export interface StartOptions {
  logDestination?: pino.DestinationStream;
  /** The sign-in's clock (throttle windows, decisions); tests hold it still to judge a burst as one moment. */
  now?: () => Date;
}

export async function startWardgate(config: Config, options: StartOptions = {}): Promise<Wardgate> {
  const now = options.now ?? (() => new Date());
  const started = performance.now();
  const log = createLogger(config.logLevel, options.logDestination);
  // argon2 hashes on its own thread: the dummy hash is ready by the time the database is.
  const dummyHashReady = prepareDummyHash();
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end('{"status":"starting"}');
  };
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, (req, res) => handler(req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = config.issuerExplicit || config.port !== 0 ? config.issuer : `http://localhost:${port}`;

  let db: Db | undefined;
  try {
    const prepared = await prepareDatabase(config, log);
    db = prepared.db;
    const { box } = prepared;
    const payloads = createPayloadStore(db);
    const accounts = createAccounts(createUserStore(db), payloads);
    const clientStore = createClientStore(db);
    const clients = createClientRegistry(clientStore, box);
    const sites = createSites(db);
    const terminals = createTerminals(db, { issuer });
    const policies = createPolicies(db);
    let demo: DemoSummary | undefined;
    await withStartupLock(db, async () => {
      await runBootstrap(config, { accounts, clients, log });
      await registerAccountClient(clients, clientStore, issuer);
      await registerAdminConsoleClient(clients, clientStore, issuer);
      if (config.demo) demo = await seedDemo({ accounts, clients, clientStore, sites, terminals, shifts: createShifts(db!), issuer });
      await policies.ensureDefault();
    });

    const keys = await loadKeys(createKeyStore(db), box);
    await dummyHashReady;
    const views = createViews({ cache: config.env !== 'development' });
    const metrics = createMetrics();
    const provider = createProvider({ config: { ...config, issuer }, keys, adapter: createAdapterFactory(payloads, clients), accounts, views, log });
    const https = new URL(issuer).protocol === 'https:';
    const database = db;

    provider.use(createRequestLog(log));
    provider.use(metrics.middleware);
    provider.use(createClientIp(config.trustProxy));
    provider.use(createSecurityHeaders({ https }));
    provider.use(createErrorHandler(views, log));
    provider.use(createBodyLimit(config.bodyLimitBytes, { exceptUnder: `${CONSOLE_PREFIX}/` }));
    provider.use(createStaticFiles());
    provider.use(createHealthRoutes({ ready: () => checkDatabase(database), metrics, log }).routes());
    const decisions = createDecisionStore(database);
    const failures = createFailedAttemptStore(database);
    // Decisions read on connections of their own, never queued behind writes (store/risk-snapshot.ts).
    const decisionReads = isPostgres(database) ? decisionReadLane(database) : undefined;
    const ports = createRiskPorts(database, { sites, terminals }, { decisionReads });
    const throttle = createThrottle(failures);
    const audit = createAuditLog(database);
    provider.use(auditSignOuts({ provider, audit, accounts, log }));
    const unit = <T>(work: () => Promise<T>) => inTransaction(database, work);
    const assessor = createAssessor({ ports, decisionPorts: ports.forDecision, signals: SIGNALS, policies, decisions, audit, unit, observer: metrics, log });
    const webauthnStore = createWebAuthnStore(database);
    const webauthn = createWebAuthn({ db: database, store: webauthnStore, audit, rp: relyingPartyOf(issuer) });
    const risk: RiskDeps = {
      assessor,
      webauthn,
      states: webauthnStore,
      activePolicy: () => policies.active(),
      throttle,
      attempts: createAttemptKeeper({ throttle, audit, unit, now, log }),
      audit,
      history: createSignInHistory(createHistoryStore(database), ports),
      zoneOf: async (ip) => ((await sites.containing(ip)) ? 'on_premises' : 'remote'),
      touchTerminal: (id, at) => terminals.touch(id, new Date(at)),
      now,
    };
    const adminAuth = createAdminAuth({ provider, accounts, audit, issuer });
    const adminApi = createAdminApi({
      operations: adminOperations({
        db: database, issuer, provider, accounts, users: createUserStore(database), payloads, webauthn, sites, terminals, shifts: createShifts(database),
        clients, policies, assessor, decisions, audit, changes: createChanges(audit), now: () => new Date(),
        internalClients: {
          [ACCOUNT_CLIENT_ID]: 'the account page',
          [ADMIN_CONSOLE_CLIENT_ID]: 'the IT console',
          [DEMO_CLIENT_ID]: 'the demo app',
          ...(config.bootstrap.adminClient ? { [config.bootstrap.adminClient.id]: 'the bootstrap admin client (WARDGATE_BOOTSTRAP_ADMIN_CLIENT_ID)' } : {}),
        },
      }),
      auth: adminAuth,
      db: database,
      log,
      issuer,
      bodyLimitBytes: config.adminBodyLimitBytes,
    });
    provider.use(adminApi.middleware);
    // The console reads bodies after its gate, with its own limits (forms, or a rota or policy document).
    provider.use(createAdminConsole({ provider, auth: adminAuth, adminApi, views, issuer, secureCookies: https, bodyLimitBytes: config.bodyLimitBytes, adminBodyLimitBytes: config.adminBodyLimitBytes }).routes());
    provider.use(createAccountRoutes({ provider, accounts, webauthn, views, issuer, secureCookies: https, bodyLimitBytes: config.bodyLimitBytes }).routes());
    provider.use(createEnrollmentLinkRoutes({ webauthn, accounts, views, bodyLimitBytes: config.bodyLimitBytes }).routes());
    provider.use(createInteractionCookieBinding(provider));
    provider.use(createInteractionRoutes({ provider, accounts, views, metrics, log, bodyLimitBytes: config.bodyLimitBytes, risk }).routes());
    provider.use(createEnrollmentRoutes({ db: database, terminals, audit, views, issuer, bodyLimitBytes: config.bodyLimitBytes }).routes());
    if (config.demo) provider.use(createDemoRoutes({ issuer, views, secureCookies: https, latestDecision: (userId) => decisions.latestFor(userId), decisionById: (id) => decisions.find(id) }).routes());

    const removeExpired = () =>
      Promise.all([payloads.deleteExpired(Date.now()), throttle.prune(Date.now()), webauthnStore.deleteChallengesBefore(Date.now() - 3600_000), webauthnStore.deleteStatesBefore(Date.now())]).then(
        ([removed, attempts]) => (removed || attempts) && log.info({ removed, attempts }, 'expired sessions, codes, tokens and failed-attempt records removed'),
        (error: unknown) => log.warn({ err: error }, 'expired artifact cleanup failed'),
      );
    void removeExpired();
    const cleanup = setInterval(removeExpired, CLEANUP_INTERVAL_MS);
    cleanup.unref();

    handler = provider.callback();
    const url = `http://localhost:${port}`;
    log.info({ event: 'ready', issuer, port, database: config.database.client, demo: config.demo, startupMs: Math.round(performance.now() - started) }, `Wardgate ready at ${issuer}`);
    if (config.demo && demo) {
      log.info(
        {
          event: 'demo',
          demoApp: `${issuer}/demo`,
          users: DEMO_USERS.map((u) => `${u.username} / ${u.password}`),
          onShift: demo.onShift,
          offShift: demo.offShift,
          terminalEnrollmentUrl: demo.terminalEnrollmentUrl ?? 'already enrolled (wardgate terminals create makes another)',
        },
        'demo hospital: open terminalEnrollmentUrl once to make this browser a ward terminal, then sign in at /demo',
      );
    }

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        clearInterval(cleanup);
        await drain(server, config.shutdownTimeoutMs);
        await decisionReads?.destroy();
        await database.destroy();
        log.info({ event: 'stopped' }, 'Wardgate stopped');
      })();
      return closing;
    };
    return { url, issuer, server, db: database, log, assessor, close };
  } catch (error) {
    server.close();
    server.closeAllConnections();
    await db?.destroy();
    throw error;
  }
}

/** Stops accepting, lets in-flight requests finish (up to timeoutMs), then closes what is left. */
async function drain(server: http.Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections become idle as their last response ends: close them as they do.
  server.closeIdleConnections();
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  timer.unref();
  await closed;
  clearInterval(sweeper);
  clearTimeout(timer);
}
