/**
 * The one error handler for Wardgate's own routes: JSON for API callers, a page for people. Server
 * errors are logged with their stack and shown only as a reference id; 4xx messages are shown.
 * oidc-provider's own endpoints render their errors through renderError (oidc/provider.ts).
 */
import crypto from 'node:crypto';
import type { Middleware } from 'koa';
import { isAppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Views } from './views.ts';
import { SIGN_IN_EXPIRED } from './messages.ts';

const TITLES: Record<number, string> = {
  400: 'That request could not be used',
  401: 'Sign-in required',
  403: 'Access denied',
  404: 'Page not found',
  413: 'Request too large',
  429: 'Too many attempts',
};

/** oidc-provider errors that reach Wardgate's own routes, in words a clinician can act on. */
const FRIENDLY: Record<string, string> = {
  SessionNotFound: SIGN_IN_EXPIRED,
};

export function wantsHtml(accept: string | undefined): boolean {
  return Boolean(accept && accept.includes('text/html'));
}

export function createErrorHandler(views: Views, log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) ctx.throw(404, 'There is nothing at this address.');
    } catch (raw) {
      const error = raw as Error & { status?: number; statusCode?: number; expose?: boolean; code?: string };
      const status = isAppError(error) ? error.status : (error.status ?? error.statusCode ?? 500);
      const expose = isAppError(error) ? error.expose : status < 500 && error.expose !== false;
      const reference = crypto.randomUUID();
      const code = isAppError(error) ? error.code : status === 413 ? 'payload_too_large' : status < 500 ? 'invalid_request' : 'internal_error';
      const message = FRIENDLY[error.name] ?? (expose ? error.message : 'Something went wrong on our side. Please try again; if it keeps happening, call the service desk with the reference below.');
      if (status >= 500) log.error({ err: error, reference, path: ctx.path }, 'request failed');
      else log.info({ errorCode: code, status, reference, path: ctx.path, message: error.message }, 'request refused');
      ctx.status = status;
      if (wantsHtml(ctx.get('accept'))) {
        ctx.type = 'html';
        ctx.body = views.render('error', { title: TITLES[status] ?? 'Something went wrong', message, reference });
      } else {
        ctx.body = { error: code, error_description: message, reference };
      }
    }
  };
}

/** Refuses bodies over the limit from their Content-Length before anything reads them. */
export function createBodyLimit(limitBytes: number, options: { exceptUnder?: string } = {}): Middleware {
  return async (ctx, next) => {
    // A part with its own limit, checked after the caller is known (the admin API's rota imports).
    if (options.exceptUnder && ctx.path.startsWith(options.exceptUnder)) return next();
    const length = Number(ctx.get('content-length') || 0);
    if (length > limitBytes) ctx.throw(413, `The request body is larger than ${limitBytes} bytes.`);
    await next();
  };
}
