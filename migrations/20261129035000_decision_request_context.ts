import type { Knex } from 'knex';

/**
 * Decisions keep the rest of what the policy's rules read: the relying app's sensitivity and the
 * acr values it asked for (JSON array). With them, replaying recorded decisions under a draft
 * policy (policy/replay.ts) judges `clientSensitivity` and `acrRequested` conditions as the sign-in
 * did. Rows from before are read by inference from their findings (sensitive_app, phr_requested).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('decisions', (t) => {
    t.string('client_sensitivity', 16);
    t.text('requested_acr');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('decisions', (t) => {
    t.dropColumn('client_sensitivity');
    t.dropColumn('requested_acr');
  });
}
