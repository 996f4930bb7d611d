import type { Knex } from 'knex';

/**
 * Accounting of sign-in attempts (issue: password guessing and lockout):
 * - failed_attempts.kind: `password` or `webauthn`. Refused security-key assertions are their own
 *   counter; they never count as usernames tried from an address (password spraying).
 * - failed_attempts.pending: an attempt reserved before its password or key is checked; it counts
 *   for the throttle at once (so concurrent guesses cannot all get through) and becomes a failure
 *   (pending false) or disappears (a success) once checked. The velocity signal counts only
 *   confirmed failures.
 * - failed_attempts.cleared_at: a later successful sign-in reset the person's count (NIST SP
 *   800-63B: success resets); the row still counts against its address.
 * - sign_in_history.acr: the assurance a successful sign-in reached.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('failed_attempts', (t) => {
    t.string('kind', 16).notNullable().defaultTo('password');
    t.boolean('pending').notNullable().defaultTo(false);
    t.bigInteger('cleared_at');
    t.index(['user_id', 'kind', 'at']);
  });
  // Security-key failures were kept under a `webauthn:` username key until now.
  await knex('failed_attempts').where('username_key', 'like', 'webauthn:%').update({ kind: 'webauthn' });
  await knex.schema.alterTable('sign_in_history', (t) => {
    t.string('acr', 64);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sign_in_history', (t) => {
    t.dropColumn('acr');
  });
  await knex.schema.alterTable('failed_attempts', (t) => {
    t.dropIndex(['user_id', 'kind', 'at']);
    t.dropColumn('kind');
    t.dropColumn('pending');
    t.dropColumn('cleared_at');
  });
}
