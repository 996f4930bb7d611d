/**
 * The only reader of process.env. Every setting is parsed by one zod schema at start; a bad value
 * stops the process with one line naming the variable. Production mode refuses settings that are
 * only safe on a developer's machine.
 */
import path from 'node:path';
import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError } from './errors.ts';

/** A size such as 64kb, in bytes. */
const byteSize = (fallback: string) =>
  z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, { message: 'must look like 64kb' })
    .default(fallback)
    .transform((v) => {
      const [, n, unit] = /^(\d+)(b|kb|mb)$/i.exec(v)!;
      return Number(n) * ({ b: 1, kb: 1024, mb: 1024 * 1024 } as Record<string, number>)[unit!.toLowerCase()]!;
    });

const booleanFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'], { message: 'must be 1/0, true/false or yes/no' })
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const cidrList = z.string().transform((value, ctx) => {
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    if (entry === 'loopback' || entry === 'linklocal' || entry === 'uniquelocal') continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= max);
    if (!family || !prefixOk || extra !== undefined) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address, CIDR range or "loopback"` });
      return z.NEVER;
    }
  }
  return entries;
});

const keyEncryptionKey = z.string().transform((value, ctx) => {
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, as 64 hex digits or base64 (openssl rand -base64 32)' });
    return z.NEVER;
  }
  return bytes;
});

const databaseUrl = z.string().refine(
  (v) => /^postgres(ql)?:\/\//.test(v) || v.startsWith('sqlite:'),
  { message: 'must be postgres://… or sqlite:PATH' },
);

const issuer = z.url({ message: 'must be an absolute http(s) URL' }).refine(
  (v) => {
    const u = URL.parse(v);
    return u !== null && (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && u.pathname === '/' && !v.endsWith('/');
  },
  { message: 'must be an http(s) origin such as https://login.hospital.example: no path, query, fragment or trailing slash' },
);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  WARDGATE_LISTEN_HOST: z.string().min(1).optional(),
  WARDGATE_ISSUER: issuer.optional(),
  DATABASE_URL: databaseUrl.optional(),
  WARDGATE_DATA_DIR: z.string().min(1).default('./data'),
  WARDGATE_KEY_ENCRYPTION_KEY: keyEncryptionKey.optional(),
  WARDGATE_TRUST_PROXY: cidrList.optional(),
  WARDGATE_OUTBOUND_ALLOWED_NETWORKS: cidrList.optional(),
  WARDGATE_DEMO: booleanFlag.optional(),
  WARDGATE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WARDGATE_BODY_LIMIT: byteSize('64kb'),
  WARDGATE_ADMIN_BODY_LIMIT: byteSize('10mb'),
  WARDGATE_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  WARDGATE_BOOTSTRAP_ADMIN_CLIENT_ID: z.string().min(1).optional(),
  WARDGATE_BOOTSTRAP_ADMIN_CLIENT_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  WARDGATE_BOOTSTRAP_ADMIN_USER: z.string().min(1).optional(),
  WARDGATE_BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, { message: 'must be at least 12 characters' }).optional(),
  WARDGATE_SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 86_400).default(12 * 3600),
  WARDGATE_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  WARDGATE_ID_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  WARDGATE_REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(90 * 86_400).default(14 * 86_400),
});

export type Database = { client: 'pg'; url: string } | { client: 'sqlite'; filename: string };

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  listenHost: string | undefined;
  issuer: string;
  /** False when the issuer was derived from PORT (then PORT=0 derives it from the bound port). */
  issuerExplicit: boolean;
  database: Database;
  dataDir: string;
  /** 32-byte AES-256-GCM key; undefined means "development: keep one in dataDir". */
  keyEncryptionKey: Buffer | undefined;
  trustProxy: string[];
  /** Private or special-use networks Wardgate may call (back-channel logout to in-hospital apps). */
  outboundAllowedNetworks: string[];
  demo: boolean;
  logLevel: string;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  /** Largest body of an authenticated admin API request (a rota CSV), in bytes. */
  adminBodyLimitBytes: number;
  shutdownTimeoutMs: number;
  bootstrap: {
    adminClient: { id: string; secret: string } | undefined;
    adminUser: { username: string; password: string } | undefined;
  };
  ttl: { session: number; accessToken: number; idToken: number; refreshToken: number };
}

function pairOrNone<T>(a: string | undefined, b: string | undefined, names: [string, string], make: (a: string, b: string) => T): T | undefined {
  if (a === undefined && b === undefined) return undefined;
  if (a === undefined || b === undefined) {
    const missing = a === undefined ? names[0] : names[1];
    const present = a === undefined ? names[1] : names[0];
    throw new AppError('config_invalid', `${missing}: must be set together with ${present}`);
  }
  return make(a, b);
}

/** Parses the environment into a Config; throws AppError('config_invalid') naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset, as shells and container runtimes often pass them.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new AppError('config_invalid', `${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.WARDGATE_DATA_DIR);
  const database: Database = e.DATABASE_URL?.startsWith('postgres')
    ? { client: 'pg', url: e.DATABASE_URL }
    : {
        client: 'sqlite',
        filename: e.DATABASE_URL
          ? (e.DATABASE_URL.slice('sqlite:'.length) === ':memory:' ? ':memory:' : path.resolve(e.DATABASE_URL.slice('sqlite:'.length)))
          : path.join(dataDir, 'wardgate.db'),
      };
  const config: Config = {
    env: e.NODE_ENV,
    port: e.PORT,
    listenHost: e.WARDGATE_LISTEN_HOST,
    issuer: e.WARDGATE_ISSUER ?? `http://localhost:${e.PORT}`,
    issuerExplicit: e.WARDGATE_ISSUER !== undefined,
    database,
    dataDir,
    keyEncryptionKey: e.WARDGATE_KEY_ENCRYPTION_KEY,
    trustProxy: e.WARDGATE_TRUST_PROXY ?? [],
    outboundAllowedNetworks: e.WARDGATE_OUTBOUND_ALLOWED_NETWORKS ?? [],
    demo: e.WARDGATE_DEMO ?? e.NODE_ENV === 'development',
    logLevel: e.WARDGATE_LOG_LEVEL,
    bodyLimitBytes: e.WARDGATE_BODY_LIMIT,
    adminBodyLimitBytes: e.WARDGATE_ADMIN_BODY_LIMIT,
    shutdownTimeoutMs: e.WARDGATE_SHUTDOWN_TIMEOUT_MS,
    bootstrap: {
      adminClient: pairOrNone(
        e.WARDGATE_BOOTSTRAP_ADMIN_CLIENT_ID,
        e.WARDGATE_BOOTSTRAP_ADMIN_CLIENT_SECRET,
        ['WARDGATE_BOOTSTRAP_ADMIN_CLIENT_ID', 'WARDGATE_BOOTSTRAP_ADMIN_CLIENT_SECRET'],
        (id, secret) => ({ id, secret }),
      ),
      adminUser: pairOrNone(
        e.WARDGATE_BOOTSTRAP_ADMIN_USER,
        e.WARDGATE_BOOTSTRAP_ADMIN_PASSWORD,
        ['WARDGATE_BOOTSTRAP_ADMIN_USER', 'WARDGATE_BOOTSTRAP_ADMIN_PASSWORD'],
        (username, password) => ({ username, password }),
      ),
    },
    ttl: {
      session: e.WARDGATE_SESSION_TTL_SECONDS,
      accessToken: e.WARDGATE_ACCESS_TOKEN_TTL_SECONDS,
      idToken: e.WARDGATE_ID_TOKEN_TTL_SECONDS,
      refreshToken: e.WARDGATE_REFRESH_TOKEN_TTL_SECONDS,
    },
  };
  if (config.env === 'production') assertProductionSafe(config);
  return config;
}

/**
 * Production mode refuses what is only safe on a developer's machine. Wardgate itself speaks plain
 * HTTP, so an https issuer means TLS ends at a proxy, which must be declared in WARDGATE_TRUST_PROXY
 * (so that its X-Forwarded-Proto is believed and cookies are marked Secure).
 */
export function assertProductionSafe(config: Config): void {
  const refuse = (message: string) => {
    throw new AppError('config_unsafe_for_production', message);
  };
  if (new URL(config.issuer).protocol !== 'https:') {
    refuse('WARDGATE_ISSUER: production requires an https issuer (TLS terminated by a proxy declared in WARDGATE_TRUST_PROXY)');
  }
  if (config.trustProxy.length === 0) {
    refuse('WARDGATE_TRUST_PROXY: production with an https issuer requires the TLS-terminating proxy to be declared');
  }
  if (!config.keyEncryptionKey) {
    refuse('WARDGATE_KEY_ENCRYPTION_KEY: production requires a key-encryption key (openssl rand -base64 32)');
  }
  if (config.demo) {
    refuse('WARDGATE_DEMO: demo data is not allowed in production');
  }
  if (config.database.client === 'sqlite' && config.database.filename === ':memory:') {
    refuse('DATABASE_URL: production cannot use an in-memory database (sqlite::memory:): every session, token and audit entry would vanish at a restart');
  }
}
