#!/usr/bin/env node
/**
 * The `wardgate` command. Every failure prints one line, `wardgate: <what was wrong>`, and exits
 * non-zero; results go to stdout as JSON so scripts can read them.
 *
 * A command that changes something records it in the audit log as the admin API records the same
 * change (`admin.<resource>.<action>`, audit/changes.ts), with the actor `cli:<OS account>`, in the
 * same transaction as the change: both are written, or neither is.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { AppError, isAppError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { prepareDatabase, startWardgate } from '../main.ts';
import { createAccounts, type Accounts } from '../accounts/accounts.ts';
import { createShifts } from '../hospital/shifts.ts';
import { createSites } from '../hospital/sites.ts';
import { createTerminals } from '../hospital/terminals.ts';
import { createClientRegistry, type ClientInput } from '../oidc/clients.ts';
import { retirementAfterRotation, rotateKeys } from '../oidc/keys.ts';
import { createClientStore } from '../store/clients.ts';
import { createKeyStore } from '../store/keys.ts';
import { createPayloadStore } from '../store/oidc-payloads.ts';
import { createUserStore } from '../store/users.ts';
import type { Db } from '../store/db.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { explain } from '../risk/explain.ts';
import { createAuditLog } from '../audit/log.ts';
import { cliCall, createChanges, type Change } from '../audit/changes.ts';
import { inTransaction } from '../store/unit-of-work.ts';
import { createWebAuthnStore } from '../store/webauthn.ts';
import { createWebAuthn, relyingPartyOf } from '../webauthn/service.ts';
import { createDecisionStore } from '../store/decisions.ts';
import { explainContextFor } from '../signin/simulation.ts';
import { decisionOf } from '../signin/assessor.ts';

const USAGE = `usage: wardgate <command>
  start                         start the server (migrates first)
  migrate                       apply database migrations
  keys rotate                   add new signing and cookie keys; old ones stay published until what they signed expires
  keys list                     list keys (ids, algorithms, state; never key material)
  users create --username U --display-name N [--email E] [--roles a,b] [--fhir-user URL] (--password-stdin | --no-password)
  users disable --username U    disable an account, end its sessions, revoke its tokens
  users enroll-link --username U       a one-time link (24 hours) to register a security key
  users reset-credentials --username U remove every security key of a user (audited)
  clients create --name N [--id ID] [--redirect-uri URI]... [--post-logout-redirect-uri URI]...
                 [--grant-type T]... [--auth-method client_secret_basic|client_secret_post|none]
                 [--scope S] [--sensitivity standard|high] [--first-party] [--offline-access]
                 [--backchannel-logout-uri URI] [--id-token-alg ES256|RS256]
  clients list
  sites create --id ID --name N --timezone TZ --country CC [--lat X --lon Y] [--network CIDR]...
  sites list
  terminals create --name N --site ID [--unit U]   prints a single-use enrollment link (valid 24 hours)
  terminals list [--site ID]
  terminals revoke --id ID
  terminals reissue --id ID     a new enrollment link for a terminal whose browser lost its cookie
  shifts add --username U --site ID --start T --end T [--kind scheduled|on_call] [--external-id X]
                                T: 2026-03-29T22:00 (the site's local time) or with an offset (…+01:00, …Z)
  shifts list [--username U] [--site ID]
  decisions show --id ID        a sign-in decision (the reference on a blocked or step-up page), explained
  audit verify                  check the audit log's hash chain (as GET /admin/api/v1/audit/verify); exits 1 when broken

Every command that changes something is recorded in the audit log (admin.<resource>.<action>, actor cli:<OS account>)
in the same transaction as the change.`;

class UsageError extends Error {}

function print(value: unknown) {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function withDatabase<T>(config: Config, work: (db: Db, box: SecretBox) => Promise<T>): Promise<T> {
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined);
  const { db, box } = await prepareDatabase(config, log);
  try {
    return await work(db, box);
  } finally {
    await db.destroy();
  }
}

/** What a command that writes works with; `record` adds an audit entry to the command's transaction. */
interface Writing {
  db: Db;
  box: SecretBox;
  /** The audit actor: cli:<OS account>. */
  by: string;
  record(change: Change): Promise<void>;
}

/**
 * Runs a command that writes in one unit of work (store/unit-of-work.ts): its changes and the audit
 * entries it records commit together, or nothing is written. Its answer is printed after the commit.
 */
async function changing(config: Config, work: (writing: Writing) => Promise<unknown>): Promise<void> {
  const call = cliCall(os.userInfo().username);
  const result = await withDatabase(config, (db, box) => {
    const changes = createChanges(createAuditLog(db));
    return inTransaction(db, () => work({ db, box, by: call.principal.actor, record: (change) => changes.record(call, change) }));
  });
  print(result);
}

const accountsOf = (db: Db): Accounts => createAccounts(createUserStore(db), createPayloadStore(db));

/** The account of a username, or a UsageError naming the command. */
async function userNamed(accounts: Accounts, command: string, username: string) {
  const user = await accounts.findByUsername(username);
  if (!user) throw new UsageError(`${command}: no user "${username}"`);
  return (await accounts.view(user.id))!;
}

async function start(config: Config) {
  const wardgate = await startWardgate(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    wardgate.log.info({ event: 'shutdown', signal }, 'draining in-flight requests');
    wardgate.close().then(
      () => process.exit(0),
      (error: unknown) => {
        wardgate.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]) {
  const [command, sub, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const config = loadConfig();
  switch (command) {
    case 'start':
      if (sub !== undefined) throw new UsageError(`start takes no arguments (got "${sub}")`);
      return start(config);
    case 'migrate':
      return withDatabase(config, async (db) => {
        print({ migrated: true, database: config.database.client, current: await db.migrate.currentVersion() });
      });
    case 'keys':
      return keys(config, sub, rest);
    case 'users':
      return users(config, sub, rest);
    case 'clients':
      return clients(config, sub, rest);
    case 'sites':
      return sites(config, sub, rest);
    case 'terminals':
      return terminals(config, sub, rest);
    case 'shifts':
      return shifts(config, sub, rest);
    case 'decisions':
      return decisions(config, sub, rest);
    case 'audit':
      return audit(config, sub, rest);
    default:
      throw new UsageError(`unknown command "${command}" (try wardgate --help)`);
  }
}

async function keys(config: Config, sub: string | undefined, args: string[]) {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  if (sub === 'rotate') {
    return changing(config, async ({ db, box, record }) => {
      const result = await rotateKeys(createKeyStore(db), box, retirementAfterRotation(config.ttl));
      // The new key ids and when the old signing keys retire; never key material.
      await record({ resource: 'keys', action: 'rotate', id: 'all', details: { added: result.added, retireSigningAfter: result.retireSigningAfter.toISOString() } });
      return { ...result, note: 'new keys sign after each Wardgate process restarts; old signing keys stay published until retireSigningAfter' };
    });
  }
  if (sub === 'list') {
    return withDatabase(config, async (db) => {
      const rows = await createKeyStore(db).all();
      print(rows.map((r) => ({ kid: r.kid, use: r.use, alg: r.alg, createdAt: new Date(r.created_at).toISOString(), retireAfter: r.retire_after ? new Date(r.retire_after).toISOString() : null })));
    });
  }
  throw new UsageError(`keys: expected "rotate" or "list"${sub ? ` (got "${sub}")` : ''}`);
}

async function users(config: Config, sub: string | undefined, args: string[]) {
  if (sub === 'create') {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        username: { type: 'string' },
        'display-name': { type: 'string' },
        email: { type: 'string' },
        roles: { type: 'string' },
        'fhir-user': { type: 'string' },
        'password-stdin': { type: 'boolean' },
        'no-password': { type: 'boolean' },
      },
    });
    if (!values.username) throw new UsageError('users create: --username is required');
    if (!values['display-name']) throw new UsageError('users create: --display-name is required');
    if (!values['password-stdin'] && !values['no-password']) throw new UsageError('users create: give --password-stdin (password on standard input) or --no-password');
    const password = values['password-stdin'] ? await readStdin() : undefined;
    return changing(config, async ({ db, record }) => {
      const accounts = accountsOf(db);
      const { user } = await accounts.create({
        username: values.username!,
        displayName: values['display-name']!,
        password,
        email: values.email,
        roles: values.roles ? values.roles.split(',').map((r) => r.trim()).filter(Boolean) : [],
        fhirUser: values['fhir-user'],
      });
      await record({ resource: 'user', action: 'create', id: user.id, after: await accounts.view(user.id) });
      return user;
    });
  }
  if (sub === 'enroll-link' || sub === 'reset-credentials') {
    const { values } = parseArgs({ args, strict: true, options: { username: { type: 'string' } } });
    if (!values.username) throw new UsageError(`users ${sub}: --username is required`);
    return changing(config, async ({ db, by, record }) => {
      const accounts = accountsOf(db);
      const before = await userNamed(accounts, `users ${sub}`, values.username!);
      const webauthn = createWebAuthn({ db, store: createWebAuthnStore(db), audit: createAuditLog(db), rp: relyingPartyOf(config.issuer) });
      if (sub === 'enroll-link') {
        const link = await webauthn.createEnrollmentLink(before.id, by, config.issuer);
        // The URL carries the token: it goes to the terminal only, never to the audit log.
        await record({ resource: 'user', action: 'enrollment_link', id: before.id, details: { expiresAt: link.expiresAt } });
        return { username: before.username, ...link };
      }
      // A lost or stolen key: whatever it signed in to ends too (sessions, grants, tokens).
      const removed = await webauthn.reset(before.id, by);
      const sessionsEnded = await createPayloadStore(db).revokeByAccountId(before.id);
      await record({ resource: 'user', action: 'reset_credentials', id: before.id, before, after: await accounts.view(before.id), details: { removed, sessionsEnded } });
      return { username: before.username, removed, sessionsEnded };
    });
  }
  if (sub === 'disable') {
    const { values } = parseArgs({ args, strict: true, options: { username: { type: 'string' } } });
    if (!values.username) throw new UsageError('users disable: --username is required');
    return changing(config, async ({ db, record }) => {
      const accounts = accountsOf(db);
      const before = await userNamed(accounts, 'users disable', values.username!);
      const { revoked } = await accounts.disable(before.id);
      await record({ resource: 'user', action: before.disabled ? 'update' : 'disable', id: before.id, before, after: await accounts.view(before.id), details: { revoked } });
      return { username: before.username, disabled: true, revoked };
    });
  }
  throw new UsageError(`users: expected "create", "disable", "enroll-link" or "reset-credentials"${sub ? ` (got "${sub}")` : ''}`);
}

async function clients(config: Config, sub: string | undefined, args: string[]) {
  if (sub === 'create') {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        name: { type: 'string' },
        id: { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'post-logout-redirect-uri': { type: 'string', multiple: true },
        'grant-type': { type: 'string', multiple: true },
        'auth-method': { type: 'string' },
        scope: { type: 'string' },
        sensitivity: { type: 'string' },
        'first-party': { type: 'boolean' },
        'offline-access': { type: 'boolean' },
        'backchannel-logout-uri': { type: 'string' },
        'id-token-alg': { type: 'string' },
      },
    });
    if (!values.name) throw new UsageError('clients create: --name is required');
    const input = {
      client_name: values.name,
      ...(values.id ? { client_id: values.id } : {}),
      redirect_uris: values['redirect-uri'] ?? [],
      post_logout_redirect_uris: values['post-logout-redirect-uri'] ?? [],
      ...(values['grant-type'] ? { grant_types: values['grant-type'] } : {}),
      ...(values['auth-method'] ? { token_endpoint_auth_method: values['auth-method'] } : {}),
      ...(values.scope ? { scope: values.scope } : {}),
      ...(values.sensitivity ? { sensitivity: values.sensitivity } : {}),
      ...(values['backchannel-logout-uri'] ? { backchannel_logout_uri: values['backchannel-logout-uri'] } : {}),
      ...(values['id-token-alg'] ? { id_token_signed_response_alg: values['id-token-alg'] } : {}),
      first_party: values['first-party'] ?? false,
      offline_access_allowed: values['offline-access'] ?? false,
    } as ClientInput;
    return changing(config, async ({ db, box, record }) => {
      const registry = createClientRegistry(createClientStore(db), box);
      const { created: _created, ...result } = await registry.register(input);
      // What is stored, without the secret (kept sealed, apart from the metadata).
      const stored = (await registry.record(result.client_id))!;
      await record({ resource: 'client', action: 'create', id: result.client_id, after: { ...stored.metadata, created_at: new Date(stored.createdAt).toISOString(), updated_at: new Date(stored.updatedAt).toISOString() } });
      return result;
    });
  }
  if (sub === 'list') {
    parseArgs({ args, options: {}, strict: true });
    return withDatabase(config, async (db, box) => print(await createClientRegistry(createClientStore(db), box).list()));
  }
  throw new UsageError(`clients: expected "create" or "list"${sub ? ` (got "${sub}")` : ''}`);
}

/** A numeric option, or undefined when absent; a UsageError naming the option when not a number. */
function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new UsageError(`--${name}: "${value}" is not a number`);
  return number;
}

/** parseArgs reads `--lon -0.134` as an option without its value: join a negative number to its option. */
function joinNegativeNumbers(args: string[], options: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (options.includes(args[i]!) && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else {
      joined.push(args[i]!);
    }
  }
  return joined;
}

function required<T extends Record<string, unknown>>(command: string, values: T, names: (keyof T & string)[]) {
  for (const name of names) if (values[name] === undefined) throw new UsageError(`${command}: --${name} is required`);
}

async function sites(config: Config, sub: string | undefined, args: string[]) {
  if (sub === 'create') {
    const { values } = parseArgs({
      args: joinNegativeNumbers(args, ['--lat', '--lon']),
      strict: true,
      options: {
        id: { type: 'string' },
        name: { type: 'string' },
        timezone: { type: 'string' },
        country: { type: 'string' },
        lat: { type: 'string' },
        lon: { type: 'string' },
        network: { type: 'string', multiple: true },
      },
    });
    required('sites create', values, ['id', 'name', 'timezone', 'country']);
    const latitude = numberOption('lat', values.lat);
    const longitude = numberOption('lon', values.lon);
    if ((latitude === undefined) !== (longitude === undefined)) throw new UsageError('sites create: give --lat and --lon together');
    return changing(config, async ({ db, record }) => {
      const site = await createSites(db).create({
        id: values.id!,
        name: values.name!,
        timezone: values.timezone!,
        country: values.country!,
        latitude: latitude ?? null,
        longitude: longitude ?? null,
        networks: values.network ?? [],
      });
      await record({ resource: 'site', action: 'create', id: site.id, after: site });
      return site;
    });
  }
  if (sub === 'list') {
    parseArgs({ args, options: {}, strict: true });
    return withDatabase(config, async (db) => print(await createSites(db).list()));
  }
  throw new UsageError(`sites: expected "create" or "list"${sub ? ` (got "${sub}")` : ''}`);
}

async function terminals(config: Config, sub: string | undefined, args: string[]) {
  const service = (db: Db) => createTerminals(db, { issuer: config.issuer });
  if (sub === 'create') {
    const { values } = parseArgs({ args, strict: true, options: { name: { type: 'string' }, site: { type: 'string' }, unit: { type: 'string' } } });
    required('terminals create', values, ['name', 'site']);
    return changing(config, async ({ db, record }) => {
      const terminals = service(db);
      const pending = await terminals.create({ name: values.name!, siteId: values.site!, unit: values.unit });
      // The link carries the token: the audit keeps the terminal's state, never the URL.
      await record({ resource: 'terminal', action: 'create', id: pending.id, after: await terminals.get(pending.id) });
      return pending;
    });
  }
  if (sub === 'list') {
    const { values } = parseArgs({ args, strict: true, options: { site: { type: 'string' } } });
    return withDatabase(config, async (db) => print(await service(db).list(values.site)));
  }
  if (sub === 'revoke' || sub === 'reissue') {
    const { values } = parseArgs({ args, strict: true, options: { id: { type: 'string' } } });
    required(`terminals ${sub}`, values, ['id']);
    return changing(config, async ({ db, record }) => {
      const terminals = service(db);
      const before = await terminals.get(values.id!);
      if (!before) throw new AppError('not_found', `id: no terminal "${values.id}"`);
      if (sub === 'revoke') {
        const after = await terminals.revoke(before.id);
        await record({ resource: 'terminal', action: before.status === 'revoked' ? 'update' : 'revoke', id: before.id, before, after });
        return after;
      }
      const pending = await terminals.reissueEnrollment(before.id);
      await record({ resource: 'terminal', action: 'enrollment_link', id: before.id, before, after: await terminals.get(before.id) });
      return pending;
    });
  }
  throw new UsageError(`terminals: expected "create", "list", "revoke" or "reissue"${sub ? ` (got "${sub}")` : ''}`);
}

async function decisions(config: Config, sub: string | undefined, args: string[]) {
  if (sub !== 'show') throw new UsageError(`decisions: expected "show"${sub ? ` (got "${sub}")` : ''}`);
  const { values } = parseArgs({ args, strict: true, options: { id: { type: 'string' } } });
  if (!values.id) throw new UsageError('decisions show: --id is required');
  return withDatabase(config, async (db) => {
    const row = await createDecisionStore(db).find(values.id!);
    if (!row) throw new UsageError(`decisions show: no decision "${values.id}"`);
    const person = (row.user_id ? (await createUserStore(db).findById(row.user_id))?.display_name : undefined) ?? row.username ?? undefined;
    const decision = decisionOf(row);
    print({
      id: row.id,
      at: new Date(row.at).toISOString(),
      phase: row.phase,
      username: row.username,
      client: row.client_id,
      ip: row.ip,
      country: row.country,
      terminal: row.terminal_id,
      device: row.user_agent,
      outcome: row.outcome,
      explanation: explain(decision, await explainContextFor(decision.findings, person, createSites(db))),
      decision,
    });
  });
}

async function shifts(config: Config, sub: string | undefined, args: string[]) {
  if (sub === 'add') {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        username: { type: 'string' },
        site: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        kind: { type: 'string' },
        'external-id': { type: 'string' },
      },
    });
    required('shifts add', values, ['username', 'site', 'start', 'end']);
    return changing(config, async ({ db, record }) => {
      const { shift, status, before } = await createShifts(db).add({
        username: values.username!,
        siteId: values.site!,
        start: values.start!,
        end: values.end!,
        ...(values.kind ? { kind: values.kind as 'scheduled' | 'on_call' } : {}),
        ...(values['external-id'] ? { externalId: values['external-id'] } : {}),
      });
      if (status === 'created') await record({ resource: 'shift', action: 'create', id: shift.id, after: shift });
      if (status === 'updated') await record({ resource: 'shift', action: 'update', id: shift.id, before, after: shift });
      return { status, ...shift };
    });
  }
  if (sub === 'list') {
    const { values } = parseArgs({ args, strict: true, options: { username: { type: 'string' }, site: { type: 'string' } } });
    return withDatabase(config, async (db) => print(await createShifts(db).list({ username: values.username, siteId: values.site })));
  }
  throw new UsageError(`shifts: expected "add" or "list"${sub ? ` (got "${sub}")` : ''}`);
}

async function audit(config: Config, sub: string | undefined, args: string[]) {
  if (sub !== 'verify') throw new UsageError(`audit: expected "verify"${sub ? ` (got "${sub}")` : ''}`);
  parseArgs({ args, options: {}, strict: true });
  const result = await withDatabase(config, (db) => createAuditLog(db).verify());
  print(result);
  if (!result.valid) {
    process.stderr.write(`wardgate: the audit log's hash chain is broken at entry ${result.firstBrokenId} (checked: ${result.checked})\n`);
    process.exitCode = 1;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof UsageError || isAppError(error) || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ? (error as Error).message
    : `unexpected error: ${(error as Error).message}`;
  process.stderr.write(`wardgate: ${message.split('\n')[0]}\n`);
  process.exit(1);
});
