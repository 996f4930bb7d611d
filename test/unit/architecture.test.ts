/**
 * The dependency rules of ../shared/DESIGN.md, enforced: inner folders never reach outward, and only
 * config.ts reads the environment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const src = path.resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

/** Imports of files under `folder` that break the rule `allowed(specifier, resolvedPath)`. */
function violations(folder: string, allowed: (specifier: string, resolved: string | undefined) => boolean): string[] {
  return files(path.join(src, folder)).flatMap((file) =>
    importsOf(file)
      .map((spec) => ({ spec, resolved: spec.startsWith('.') ? path.relative(src, path.resolve(path.dirname(file), spec)) : undefined }))
      .filter(({ spec, resolved }) => !allowed(spec, resolved))
      .map(({ spec }) => `${path.relative(src, file)} imports ${spec}`),
  );
}

const FRAMEWORKS = /^(koa|@koa\/|koa-|oidc-provider|knex|pg|better-sqlite3|geoip-lite|ua-parser-js|openid-client)/;

describe('dependency direction', () => {
  it('the scanner sees imports (http/ does import Koa, so the store rule flags it)', () => {
    expect(violations('http', (spec) => !/^(koa|@koa\/)/.test(spec)).length).toBeGreaterThan(0);
  });

  it('risk/ imports only risk/, errors.ts and small pure libraries', () => {
    expect(violations('risk', (spec, resolved) => (resolved ? resolved.startsWith('risk/') || resolved === 'errors.ts' : !FRAMEWORKS.test(spec)))).toEqual([]);
  });

  it('store/ knows knex, never Koa, oidc-provider or the edges', () => {
    expect(violations('store', (spec, resolved) => (resolved ? /^(store\/|errors\.ts|config\.ts)/.test(resolved) : !/^(koa|@koa\/|oidc-provider)/.test(spec)))).toEqual([]);
  });

  it('accounts/ and crypto/ know neither HTTP nor oidc-provider', () => {
    for (const folder of ['accounts', 'crypto']) {
      expect(violations(folder, (spec, resolved) => (resolved ? !/^(http|oidc|admin|demo|cli)\//.test(resolved) : !/^(koa|@koa\/|oidc-provider)/.test(spec)))).toEqual([]);
    }
  });

  it('admin API operations are free of Koa and oidc-provider; only the router and auth touch HTTP', () => {
    expect(violations('admin/api/resources', (spec) => !/^(koa|@koa\/|koa-|oidc-provider|knex)/.test(spec))).toEqual([]);
  });

  it('admin/ uses oidc/ only through its public pieces (acr values, the client registry, the first-party client), never provider internals', () => {
    const allowed = new Set(['oidc/acr.ts', 'oidc/clients.ts', 'oidc/first-party-client.ts']);
    expect(violations('admin', (_spec, resolved) => !resolved?.startsWith('oidc/') || allowed.has(resolved))).toEqual([]);
  });

  it('nothing inward reaches the admin API or console: only main.ts wires them', () => {
    const importers = files(src)
      .filter((f) => !path.relative(src, f).startsWith('admin/'))
      .filter((f) => importsOf(f).some((spec) => spec.startsWith('.') && path.relative(src, path.resolve(path.dirname(f), spec)).startsWith('admin/')))
      .map((f) => path.relative(src, f));
    expect(importers).toEqual(['main.ts']);
  });

  it('only config.ts reads process.env', () => {
    const readers = files(src).filter((f) => /process\.env\b/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(src, f));
    expect(readers).toEqual(['config.ts']);
  });
});
