/**
 * Bootstrap from the environment: an admin client allowed client_credentials with scope
 * wardgate:admin, and an IT administrator account. Each is created only if absent, and logged
 * without its secret.
 */
import type { Accounts } from './accounts/accounts.ts';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import type { ClientRegistry } from './oidc/clients.ts';

export async function runBootstrap(config: Config, deps: { accounts: Accounts; clients: ClientRegistry; log: Logger }): Promise<void> {
  const { adminClient, adminUser } = config.bootstrap;
  if (adminClient) {
    const result = await deps.clients.register(
      {
        client_id: adminClient.id,
        client_name: 'Wardgate bootstrap admin client',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'wardgate:admin',
        client_secret: adminClient.secret,
      },
      { ifAbsent: true },
    );
    deps.log.info({ event: 'bootstrap', client_id: adminClient.id, created: result.created }, result.created ? 'bootstrap admin client created' : 'bootstrap admin client already present');
  }
  if (adminUser) {
    const result = await deps.accounts.create(
      { username: adminUser.username, password: adminUser.password, displayName: 'IT administrator', roles: ['it-admin'] },
      { ifAbsent: true },
    );
    deps.log.info({ event: 'bootstrap', username: result.user.username, created: result.created }, result.created ? 'bootstrap admin user created' : 'bootstrap admin user already present');
  }
}
