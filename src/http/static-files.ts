/**
 * The few static assets Wardgate serves itself (no CDN, no third-party assets): its stylesheet,
 * logo and page scripts from public/, and @simplewebauthn/browser's bundle from the installed package.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from 'koa';

const publicDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public');

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

export function createStaticFiles(prefix = '/static/'): Middleware {
  const files = new Map<string, { body: Buffer; type: string }>();
  // public/ and public/admin/ (the IT console's scripts and stylesheet).
  for (const dir of ['', 'admin/']) {
    for (const name of fs.readdirSync(path.join(publicDir, dir))) {
      const type = TYPES[path.extname(name)];
      if (type) files.set(prefix + dir + name, { body: fs.readFileSync(path.join(publicDir, dir, name)), type });
    }
  }
  const require = createRequire(import.meta.url);
  // The package exports only its modules; its browser bundle sits two folders above the CommonJS entry.
  const webauthnBrowser = path.resolve(path.dirname(require.resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js');
  files.set(`${prefix}vendor/simplewebauthn-browser.js`, { body: fs.readFileSync(webauthnBrowser), type: TYPES['.js']! });
  return async (ctx, next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}
