/**
 * Terminal enrollment in the workstation's browser. IT opens the link from `wardgate terminals
 * create` on the ward workstation:
 *
 *   GET  /terminals/enroll/:token  a page naming the terminal, site and unit, with a Confirm button
 *   POST /terminals/enroll/:token  uses the link (once) and sets the terminal cookie to the new credential
 *
 * GET never uses the link, so a link previewer or a prefetch cannot spend it. The token in the path
 * is the capability; the POST must also come from Wardgate's own page (see http/same-origin.ts), else 403.
 * An unknown, used and expired link all get the same 400 page. The enrollment and its audit entry
 * (`terminal.enrolled`, with the address it came from) commit together. The token is a
 * secret: once a request is done its path is replaced by the route pattern, so the request log and
 * the error handler never write it.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { AuditLog } from '../audit/log.ts';
import type { Views } from '../http/views.ts';
import { TERMINAL_COOKIE, type Terminals } from './terminals.ts';
import { fromOwnPage } from '../http/same-origin.ts';
import { clientIpOf } from '../http/client-ip.ts';
import type { Db } from '../store/db.ts';
import { inTransaction } from '../store/unit-of-work.ts';

/** The longest a browser keeps a cookie (Chrome caps Max-Age at 400 days). */
const TERMINAL_COOKIE_MAX_AGE_MS = 400 * 86_400_000;

/**
 * The Set-Cookie value, written out because Koa's cookies write Expires but not Max-Age. Both are
 * sent: Max-Age for today's browsers, Expires for any that only know it. The credential is
 * base64url, so it needs no quoting.
 */
function terminalCookie(credential: string, secure: boolean): string {
  const expires = new Date(Date.now() + TERMINAL_COOKIE_MAX_AGE_MS).toUTCString();
  const maxAge = TERMINAL_COOKIE_MAX_AGE_MS / 1000;
  return `${TERMINAL_COOKIE}=${credential}; Path=/; Max-Age=${maxAge}; Expires=${expires}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

const PATTERN = '/terminals/enroll/:token';
const LINK_NOT_VALID = 'This enrollment link is not valid: it is unknown, has already been used, or has expired. Ask IT for a new link.';

export interface EnrollmentRouteDeps {
  db: Db;
  terminals: Terminals;
  audit: AuditLog;
  views: Views;
  issuer: string;
  bodyLimitBytes: number;
}

export function createEnrollmentRoutes({ db, terminals, audit, views, issuer, bodyLimitBytes }: EnrollmentRouteDeps) {
  const router = new Router();
  const body = bodyParser({ enableTypes: ['form'], formLimit: `${bodyLimitBytes}b` });
  const origin = new URL(issuer).origin;
  const secure = new URL(issuer).protocol === 'https:';

  router.use(PATTERN, async (ctx, next) => {
    ctx.state.route = 'terminal:enroll_other';
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } finally {
      ctx.path = PATTERN;
    }
  });

  const refuse = (ctx: { status: number; type: string; body: unknown }, status: number, title: string, message: string) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = views.render('error', { title, message });
  };

  router.get(PATTERN, async (ctx) => {
    ctx.state.route = 'terminal:enroll_show';
    const terminal = await terminals.enrollment(ctx.params.token!);
    if (!terminal) return refuse(ctx, 400, 'Enrollment link not valid', LINK_NOT_VALID);
    ctx.type = 'html';
    ctx.body = views.render('terminal-enroll', { terminal, token: ctx.params.token });
  });

  router.post(PATTERN, body, async (ctx) => {
    ctx.state.route = 'terminal:enroll_confirm';
    if (!fromOwnPage(ctx, origin)) return refuse(ctx, 403, 'Access denied', 'Enrollment must be confirmed on the page Wardgate showed for the link.');
    const enrolled = await inTransaction(db, async () => {
      const done = await terminals.enroll(ctx.params.token!);
      if (done) {
        const { id, name, siteId, unit } = done.terminal;
        await audit.append({ type: 'terminal.enrolled', actor: null, subject: `terminal/${id}`, data: { id, name, siteId, unit, ip: clientIpOf(ctx) } });
      }
      return done;
    });
    if (!enrolled) return refuse(ctx, 400, 'Enrollment link not valid', LINK_NOT_VALID);
    ctx.append('Set-Cookie', terminalCookie(enrolled.credential, secure));
    ctx.type = 'html';
    ctx.body = views.render('terminal-enrolled', { terminal: enrolled.terminal });
  });

  return router;
}
