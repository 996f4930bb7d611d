import type { Knex } from 'knex';

/**
 * WebAuthn: credentials (public keys only), single-use ceremony challenges bound to an interaction,
 * IT-issued enrollment links (hashed), and the state of a sign-in whose password was right but
 * which must still be stepped up.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webauthn_credentials', (t) => {
    t.string('id', 1400).primary(); // credential id, base64url
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('public_key').notNullable(); // COSE, base64url
    t.bigInteger('counter').notNullable();
    t.text('transports').notNullable().defaultTo('[]');
    t.string('aaguid', 36);
    t.string('device_type', 16).notNullable(); // singleDevice | multiDevice
    t.boolean('backed_up').notNullable();
    t.string('nickname', 100).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_used_at');
    t.bigInteger('suspended_at'); // set when its counter went backwards (a clone); IT resets
    t.index(['user_id']);
  });

  await knex.schema.createTable('webauthn_challenges', (t) => {
    t.string('challenge', 128).primary();
    t.string('ceremony', 16).notNullable(); // register | step_up | passkey | enroll_link
    t.string('binding', 255).notNullable(); // the interaction uid (or enrollment link hash) it belongs to
    t.string('user_id', 36);
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('consumed_at');
    t.string('outcome', 16); // success | failure
    t.index(['binding']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('webauthn_enrollment_links', (t) => {
    t.string('token_hash', 64).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('created_by', 255).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at');
    t.index(['user_id']);
  });

  await knex.schema.createTable('sign_in_states', (t) => {
    t.string('interaction_uid', 128).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('decision_id', 36).notNullable();
    t.string('stage', 16).notNullable(); // step_up | enroll
    t.bigInteger('password_at');
    t.bigInteger('expires_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['sign_in_states', 'webauthn_enrollment_links', 'webauthn_challenges', 'webauthn_credentials']) {
    await knex.schema.dropTableIfExists(table);
  }
}
