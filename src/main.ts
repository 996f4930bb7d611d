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
import { DEMO_USERS, seedDemo } from './demo/seed.ts';
import { createDemoRoutes } from './demo/relying-app.ts';
import { createEnrollmentRoutes } from './hospital/enrollment-routes.ts';
import { createTerminals } from './hospital/terminals.ts';
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
import { ensureKeys, loadKeys } from './oidc/keys.ts';
import { createAdapterFactory } from './oidc/knex-adapter.ts';
import { createProvider } from './oidc/provider.ts';
import { checkDatabase, createDb, type Db } from './store/db.ts';
import { createClientStore } from './store/clients.ts';
import { createKeyStore } from './store/keys.ts';
import { migrateLatest, withStartupLock } from './store/migrate.ts';
import { createPayloadStore } from './store/oidc-payloads.ts';
import { createSiteStore } from './store/sites.ts';
import { createUserStore } from './store/users.ts';

export interface Wardgate {
  url: string;
  issuer: string;
  server: http.Server;
  db: Db;
  log: Logger;
  close(): Promise<void>;
}

const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

export function openSecretBox(config: Config): SecretBox {
  return createSecretBox(config.keyEncryptionKey ?? loadOrCreateDevKeyEncryptionKey(config.dataDir));
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

export async function startWardgate(config: Config, options: { logDestination?: pino.DestinationStream } = {}): Promise<Wardgate> {
  const started = performance.now();
  const log = createLogger(config.logLevel, options.logDestination);
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
    await withStartupLock(db, async () => {
      await runBootstrap(config, { accounts, clients, log });
      if (config.demo) await seedDemo({ accounts, clients, clientStore, sites: createSiteStore(db!), issuer });
    });

    const keys = await loadKeys(createKeyStore(db), box);
    await prepareDummyHash();
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
    provider.use(createBodyLimit(config.bodyLimitBytes));
    provider.use(createStaticFiles());
    provider.use(createHealthRoutes({ ready: () => checkDatabase(database), metrics, log }).routes());
    provider.use(createInteractionRoutes({ provider, accounts, views, metrics, log, bodyLimitBytes: config.bodyLimitBytes }).routes());
    const terminals = createTerminals(database, { issuer });
    provider.use(createEnrollmentRoutes({ terminals, views, issuer, bodyLimitBytes: config.bodyLimitBytes }).routes());
    if (config.demo) provider.use(createDemoRoutes({ issuer, views, secureCookies: https }).routes());

    const removeExpired = () =>
      payloads.deleteExpired(Date.now()).then(
        (removed) => removed && log.info({ removed }, 'expired sessions, codes and tokens removed'),
        (error: unknown) => log.warn({ err: error }, 'expired artifact cleanup failed'),
      );
    void removeExpired();
    const cleanup = setInterval(removeExpired, CLEANUP_INTERVAL_MS);
    cleanup.unref();

    handler = provider.callback();
    const url = `http://localhost:${port}`;
    log.info({ event: 'ready', issuer, port, database: config.database.client, demo: config.demo, startupMs: Math.round(performance.now() - started) }, `Wardgate ready at ${issuer}`);
    if (config.demo) {
      log.info(
        { event: 'demo', demoApp: `${issuer}/demo`, users: DEMO_USERS.map((u) => `${u.username} / ${u.password}`) },
        'demo hospital: sign in at /demo with one of these demo accounts',
      );
    }

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        clearInterval(cleanup);
        await drain(server, config.shutdownTimeoutMs);
        await database.destroy();
        log.info({ event: 'stopped' }, 'Wardgate stopped');
      })();
      return closing;
    };
    return { url, issuer, server, db: database, log, close };
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
