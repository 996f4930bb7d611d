/**
 * Starts a real Wardgate on an ephemeral port, in this process, against a test database; exposes
 * the account and client services on the same database for arranging a test, and the log lines.
 */
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config.ts';
import { startWardgate, openSecretBox, type Wardgate } from '../../src/main.ts';
import { createAccounts, type Accounts } from '../../src/accounts/accounts.ts';
import { createClientRegistry, type ClientRegistry } from '../../src/oidc/clients.ts';
import { createClientStore } from '../../src/store/clients.ts';
import { createPayloadStore } from '../../src/store/oidc-payloads.ts';
import { createUserStore } from '../../src/store/users.ts';
import type { TestDatabase } from './database.ts';
import { TestBrowser } from './browser.ts';
import { hospitalServices, TERMINAL_COOKIE } from './hospital.ts';
import type { NewUser, User } from '../../src/accounts/accounts.ts';

export interface TestServer extends Wardgate {
  config: Config;
  accounts: Accounts;
  clients: ClientRegistry;
  hospital: ReturnType<typeof hospitalServices>;
  logs: string[];
  /** A browser at an enrolled ward terminal on the hospital's network (loopback). */
  browser(): Promise<TestBrowser>;
  /** A user who is on shift now at the test site. */
  clinician(input: NewUser): Promise<User>;
}

export function testEnv(db: TestDatabase, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: db.url,
    WARDGATE_DATA_DIR: db.dataDir,
    WARDGATE_KEY_ENCRYPTION_KEY: db.kek,
    WARDGATE_DEMO: '0',
    WARDGATE_LOG_LEVEL: 'info',
    ...env,
  };
}

export async function startTestServer(db: TestDatabase, env: Record<string, string> = {}, options: { now?: () => Date } = {}): Promise<TestServer> {
  const config = loadConfig(testEnv(db, env));
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const wardgate = await startWardgate(config, { logDestination: destination, now: options.now });
  const accounts = createAccounts(createUserStore(wardgate.db), createPayloadStore(wardgate.db));
  const hospital = hospitalServices(wardgate.db, wardgate.issuer);
  let credential: string | undefined;
  return {
    ...wardgate,
    config,
    logs,
    accounts,
    clients: createClientRegistry(createClientStore(wardgate.db), openSecretBox(config)),
    hospital,
    async browser() {
      credential ??= await hospital.trustedTerminal();
      const browser = new TestBrowser(wardgate.issuer);
      await browser.jar.setCookie(`${TERMINAL_COOKIE}=${credential}; Path=/; HttpOnly`, wardgate.issuer);
      return browser;
    },
    async clinician(input) {
      const { user } = await accounts.create(input);
      await hospital.onShiftNow(user.username);
      return user;
    },
  };
}
