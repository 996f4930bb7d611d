import type { Knex } from 'knex';

/** Foundation: oidc-provider artifacts, accounts, clients, keys and sites. Times are epoch ms. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('type', 64).notNullable();
    t.string('id', 255).notNullable();
    t.text('payload').notNullable();
    t.string('grant_id', 255);
    t.string('user_code', 255);
    t.string('uid', 255);
    t.string('account_id', 255);
    t.bigInteger('expires_at');
    t.bigInteger('consumed_at');
    t.primary(['type', 'id']);
    t.index(['grant_id']);
    t.index(['user_code']);
    t.index(['uid']);
    t.index(['account_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('users', (t) => {
    t.string('id', 36).primary();
    t.string('username', 255).notNullable();
    t.string('username_key', 255).notNullable().unique();
    t.string('display_name', 255).notNullable();
    t.string('email', 320);
    t.text('roles').notNullable().defaultTo('[]');
    t.string('fhir_user', 1024);
    t.string('password_hash', 255);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 255).primary();
    t.text('metadata').notNullable();
    t.text('secret_encrypted');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('keys', (t) => {
    t.string('kid', 64).primary();
    t.string('use', 16).notNullable();
    t.string('alg', 16).notNullable();
    t.text('material_encrypted').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('retire_after');
    t.index(['use', 'created_at']);
  });

  await knex.schema.createTable('sites', (t) => {
    t.string('id', 64).primary();
    t.string('name', 255).notNullable();
    t.string('timezone', 64).notNullable();
    t.string('country', 2).notNullable();
    t.double('latitude');
    t.double('longitude');
    t.text('networks').notNullable().defaultTo('[]');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['sites', 'keys', 'clients', 'users', 'oidc_payloads']) {
    await knex.schema.dropTableIfExists(table);
  }
}
