import type { Knex } from 'knex';

/**
 * Hospital context and the risk engine's records: site networks as indexed address ranges,
 * terminals, shifts, sign-in history, failed attempts, decisions, policy versions and the
 * append-only audit log. Times are epoch milliseconds (UTC).
 */
export async function up(knex: Knex): Promise<void> {
  // Networks move from a JSON column on sites to one row per CIDR with its address range as two
  // fixed-width hex strings (IPv4 mapped into ::ffff:0:0/96), so "which site contains this IP"
  // is one indexed range query on both SQLite and PostgreSQL.
  await knex.schema.createTable('site_networks', (t) => {
    t.string('site_id', 64).notNullable().references('id').inTable('sites').onDelete('CASCADE');
    t.string('cidr', 64).notNullable();
    t.string('range_start', 32).notNullable();
    t.string('range_end', 32).notNullable();
    t.primary(['site_id', 'cidr']);
    t.index(['range_start', 'range_end']);
  });
  await knex.schema.alterTable('sites', (t) => {
    t.dropColumn('networks');
  });

  await knex.schema.createTable('terminals', (t) => {
    t.string('id', 36).primary();
    t.string('name', 200).notNullable();
    t.string('site_id', 64).notNullable().references('id').inTable('sites').onDelete('RESTRICT');
    t.string('unit', 200);
    t.string('status', 16).notNullable(); // pending | active | revoked
    t.string('credential_hash', 64).unique();
    t.string('enrollment_hash', 64).unique();
    t.bigInteger('enrollment_expires_at');
    t.bigInteger('enrolled_at');
    t.bigInteger('last_seen_at');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['site_id']);
  });

  await knex.schema.createTable('shifts', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('site_id', 64).notNullable().references('id').inTable('sites').onDelete('RESTRICT');
    t.bigInteger('starts_at').notNullable();
    t.bigInteger('ends_at').notNullable();
    t.string('kind', 16).notNullable(); // scheduled | on_call
    t.string('external_id', 255).unique();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['user_id', 'ends_at']);
    t.index(['site_id', 'starts_at']);
  });

  await knex.schema.createTable('sign_in_history', (t) => {
    t.bigIncrements('id');
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.bigInteger('at').notNullable();
    t.string('ip', 45).notNullable();
    t.string('country', 2);
    t.double('latitude');
    t.double('longitude');
    t.integer('accuracy_km');
    t.string('device_hash', 64).notNullable();
    t.string('outcome', 16).notNullable(); // success | step_up | deny
    t.index(['user_id', 'at']);
    t.index(['user_id', 'device_hash', 'at']);
  });

  await knex.schema.createTable('failed_attempts', (t) => {
    t.bigIncrements('id');
    t.bigInteger('at').notNullable();
    t.string('ip', 45).notNullable();
    t.string('username_key', 255).notNullable();
    t.string('user_id', 36);
    t.string('zone', 16).notNullable(); // on_premises | remote
    t.index(['username_key', 'at']);
    t.index(['user_id', 'at']);
    t.index(['ip', 'at']);
    t.index(['at']);
  });

  await knex.schema.createTable('decisions', (t) => {
    t.string('id', 36).primary();
    t.bigInteger('at').notNullable();
    t.string('phase', 16).notNullable(); // pre_password | password | session
    t.string('user_id', 36);
    t.string('username', 255);
    t.string('client_id', 255).notNullable();
    t.string('outcome', 16).notNullable();
    t.integer('score').notNullable();
    t.text('findings').notNullable();
    t.text('determining_rules').notNullable();
    t.text('report_only').notNullable();
    t.string('required_acr', 64);
    t.integer('session_lifetime');
    t.integer('policy_version').notNullable();
    t.string('ip', 45).notNullable();
    t.string('country', 2);
    t.string('terminal_id', 36);
    t.string('user_agent', 255);
    t.index(['at']);
    t.index(['user_id', 'at']);
    t.index(['outcome', 'at']);
  });

  await knex.schema.createTable('policy_versions', (t) => {
    t.integer('version').primary();
    t.text('document').notNullable();
    t.string('author', 255).notNullable();
    t.string('comment', 500);
    t.bigInteger('created_at').notNullable();
  });
  await knex.schema.createTable('policy_active', (t) => {
    t.integer('id').primary(); // always 1: one active policy
    t.integer('version').notNullable().references('version').inTable('policy_versions');
    t.string('activated_by', 255).notNullable();
    t.bigInteger('activated_at').notNullable();
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.bigInteger('at').notNullable();
    t.string('type', 64).notNullable();
    t.string('actor', 255);
    t.string('subject', 255);
    t.text('data').notNullable();
    t.string('prev_hash', 64).notNullable();
    t.string('hash', 64).notNullable().unique();
    t.index(['at']);
    t.index(['type', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_log', 'policy_active', 'policy_versions', 'decisions', 'failed_attempts', 'sign_in_history', 'shifts', 'terminals', 'site_networks']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('sites', (t) => {
    t.text('networks').notNullable().defaultTo('[]');
  });
}
