/**
 * People: search, create, change the profile and roles, disable or enable (disabling ends their
 * sessions at once), a one-time security-key enrollment link (shown once, also as a QR code), and
 * removing every security key after a confirmation. Operations: listUsers, createUser, getUser,
 * updateUser, createEnrollmentLink, resetCredentials.
 */
import type { ParameterizedContext } from 'koa';
import type { PageDeps } from '../routes.ts';
import { when } from '../format.ts';
import { defined, formOf, optional, pager, queryText, type Failure } from '../kit.ts';
import { qrSvg } from '../qr.ts';
import type { z } from 'zod';
import type { userSchema } from '../../api/resources/users.ts';

type User = z.output<typeof userSchema>;

const LABELS = { username: 'Username', displayName: 'Display name', email: 'Email', roles: 'Roles', fhirUser: 'FHIR user', password: 'Password' };

/** Roles typed as a list: commas or spaces between them. */
const rolesOf = (value: string | undefined) => (value ?? '').split(/[\s,]+/).map((r) => r.trim()).filter(Boolean);

export function userPages({ router, kit, form }: PageDeps) {
  const list = async (ctx: ParameterizedContext, extra: { values?: Record<string, unknown>; failure?: Failure } = {}, status = 200) => {
    const filters = { q: queryText(ctx, 'q'), role: queryText(ctx, 'role'), disabled: queryText(ctx, 'disabled') };
    const query = defined({ q: optional(filters.q), role: optional(filters.role), disabled: optional(filters.disabled), cursor: optional(queryText(ctx, 'cursor')), limit: '25' });
    const found = await kit.attempt<{ items: User[]; nextCursor: string | null }>(ctx, 'listUsers', { query });
    kit.render(
      ctx,
      'users',
      {
        title: 'Users',
        nav: 'users',
        users: found.ok ? found.value.items : [],
        searchFailure: found.ok ? undefined : found,
        filters,
        ...pager(ctx, found.ok ? found.value.nextCursor : null),
        values: extra.values ?? {},
        failure: extra.failure,
        labels: LABELS,
      },
      status,
    );
  };

  router.get('/users', (ctx) => list(ctx));

  router.post('/users', form, async (ctx) => {
    const values = formOf(ctx);
    const body = defined({
      username: optional(values.username) ?? '',
      displayName: optional(values.displayName) ?? '',
      email: optional(values.email),
      roles: rolesOf(values.roles),
      fhirUser: optional(values.fhirUser),
      password: values.password ? values.password : undefined,
    });
    const result = await kit.attempt<User>(ctx, 'createUser', { body });
    if (!result.ok) return list(ctx, { values: { ...values, password: '' }, failure: result }, result.status);
    kit.redirect(ctx, `/admin/users/${encodeURIComponent(result.value.id)}`, `${result.value.displayName} (${result.value.username}) created.${result.value.hasPassword ? '' : ' Without a password, they sign in with a security key only: send them an enrollment link.'}`);
  });

  /** The user the path names; an unknown one is the error page's 404. */
  const found = (ctx: ParameterizedContext) => kit.invoke<User>(ctx, 'getUser', { params: { id: ctx.params.id } });

  const show = (ctx: ParameterizedContext, user: User, extra: { values?: Record<string, unknown>; failure?: Failure; link?: { url: string; expiresAt: string; qr: string } } = {}, status = 200) =>
    kit.render(
      ctx,
      'user',
      {
        title: user.displayName,
        nav: 'users',
        person: user,
        values: extra.values ?? { displayName: user.displayName, email: user.email ?? '', roles: user.roles.join(', '), fhirUser: user.fhirUser ?? '' },
        failure: extra.failure,
        link: extra.link,
        labels: LABELS,
        when,
      },
      status,
    );

  router.get('/users/:id', async (ctx) => show(ctx, await found(ctx)));

  router.post('/users/:id', form, async (ctx) => {
    const user = await found(ctx);
    const values = formOf(ctx);
    const body = {
      displayName: optional(values.displayName) ?? '',
      email: optional(values.email) ?? null,
      roles: rolesOf(values.roles),
      fhirUser: optional(values.fhirUser) ?? null,
    };
    const result = await kit.attempt<User>(ctx, 'updateUser', { params: { id: user.id }, body });
    if (!result.ok) return show(ctx, user, { values, failure: result }, result.status);
    kit.redirect(ctx, `/admin/users/${encodeURIComponent(user.id)}`, `${result.value.displayName}'s profile saved.`);
  });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    router.post(`/users/:id/${action}`, form, async (ctx) => {
      const user = await found(ctx);
      const result = await kit.attempt<User>(ctx, 'updateUser', { params: { id: user.id }, body: { disabled } });
      if (!result.ok) return show(ctx, user, { failure: result }, result.status);
      kit.redirect(
        ctx,
        `/admin/users/${encodeURIComponent(user.id)}`,
        disabled ? `${user.displayName} is disabled: their sessions have ended and their tokens are revoked.` : `${user.displayName} can sign in again.`,
      );
    });
  }

  router.post('/users/:id/enrollment-link', form, async (ctx) => {
    const user = await found(ctx);
    const result = await kit.attempt<{ url: string; expiresAt: string }>(ctx, 'createEnrollmentLink', { params: { id: user.id } });
    if (!result.ok) return show(ctx, user, { failure: result }, result.status);
    // Shown once, in this answer only (no redirect: the link is not kept anywhere to show again).
    show(ctx, user, { link: { ...result.value, qr: await qrSvg(result.value.url, 'Enrollment link as a QR code') } });
  });

  router.get('/users/:id/reset', async (ctx) => {
    const user = await found(ctx);
    kit.render(ctx, 'user-reset', { title: `Remove ${user.displayName}'s security keys?`, nav: 'users', person: user });
  });

  router.post('/users/:id/reset', form, async (ctx) => {
    const user = await found(ctx);
    const result = await kit.attempt<{ removed: number; sessionsEnded: number }>(ctx, 'resetCredentials', { params: { id: user.id } });
    if (!result.ok) return kit.render(ctx, 'user-reset', { title: `Remove ${user.displayName}'s security keys?`, nav: 'users', person: user, failure: result }, result.status);
    const { removed, sessionsEnded } = result.value;
    kit.redirect(ctx, `/admin/users/${encodeURIComponent(user.id)}`, `Removed ${removed} security key${removed === 1 ? '' : 's'} of ${user.displayName} and ended ${sessionsEnded} session${sessionsEnded === 1 ? '' : 's'} and token${sessionsEnded === 1 ? '' : 's'}.`);
  });
}
