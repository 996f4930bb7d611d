/**
 * Behind an https issuer (TLS ended at a trusted proxy) the session and interaction cookies are
 * `__Host-` cookies: Secure, Path=/, no Domain, so no sibling host or plain-HTTP page can plant
 * them; the resume cookie, which oidc-provider scopes to /auth/<uid>, is `__Secure-`. A sign-in
 * completes with them (the cookie jar refuses a `__Host-` cookie that breaks the rules, as a
 * browser does), and a form of an older interaction cannot act on the one the cookie names. With
 * an http issuer the names stay as they were.
 */
import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../helpers/database.ts';
import { serverForThisFile } from '../helpers/server-per-file.ts';
import { declineEnrollment, formAction, signIn } from '../helpers/browser.ts';
import { createRelyingParty } from '../helpers/relying-party.ts';
import { BrowserBehindTlsProxy, throughTlsProxy } from '../helpers/tls-proxy.ts';
import { TERMINAL_COOKIE } from '../helpers/hospital.ts';
import type { TestServer } from '../helpers/server.ts';

const PASSWORD = 'host prefixed cookies passphrase';

/** A browser that keeps every Set-Cookie header it was sent. */
class RecordingBrowser extends BrowserBehindTlsProxy {
  readonly setCookies: string[] = [];
  protected override async send(url: string, init: RequestInit): Promise<Response> {
    const res = await super.send(url, init);
    this.setCookies.push(...res.headers.getSetCookie());
    return res;
  }
}

/** The attributes of the first Set-Cookie for `name`, lower-cased, or undefined. */
function cookieAttributes(setCookies: string[], name: string) {
  const header = setCookies.find((c) => c.startsWith(`${name}=`) && !c.split(';')[0]!.endsWith('='));
  return header?.split(';').slice(1).map((a) => a.trim().toLowerCase());
}

async function wardTerminalBrowser(server: TestServer, browser: RecordingBrowser) {
  await browser.jar.setCookie(`${TERMINAL_COOKIE}=${await server.hospital.trustedTerminal()}; Path=/; HttpOnly; Secure`, server.issuer);
  return browser;
}

describe.skipIf(databaseUnavailable())('session and interaction cookies behind an https issuer', () => {
  const wardgate = serverForThisFile({ WARDGATE_ISSUER: 'https://login.hospital.test', WARDGATE_TRUST_PROXY: 'loopback' });

  it('names them __Host- with Secure and Path=/ and no Domain, and a sign-in still completes', async () => {
    const server = wardgate();
    const user = await server.clinician({ username: 'host.cookies', password: PASSWORD, displayName: 'Host Cookies' });
    const rp = await createRelyingParty(server, { client_name: 'Ward rounds' }, { customFetch: throughTlsProxy(server.url) });
    const browser = await wardTerminalBrowser(server, new RecordingBrowser(server.issuer, server.url));

    const started = await rp.start({ scope: 'openid profile' });
    const { callback } = await signIn(browser, started.url, { username: user.username, password: PASSWORD });
    expect(callback).toMatch(/^https:\/\/rp\.example\.test\/callback\?code=/);
    const tokens = await rp.finish(callback!, started);
    expect(tokens.claims()!.sub).toBe(user.id);

    for (const name of ['__Host-interaction', '__Host-session']) {
      const attributes = cookieAttributes(browser.setCookies, name);
      expect(attributes, name).toBeDefined();
      expect(attributes).toEqual(expect.arrayContaining(['secure', 'path=/', 'httponly', 'samesite=lax']));
      expect(attributes!.some((a) => a.startsWith('domain='))).toBe(false);
    }
    expect(cookieAttributes(browser.setCookies, '__Secure-interaction_resume')).toEqual(expect.arrayContaining(['secure', 'httponly']));
    expect(browser.setCookies.filter((c) => /^_(session|interaction)/.test(c))).toEqual([]);
    // The jar took them, as a browser would only if they meet the prefix's rules.
    expect((await browser.jar.getCookies(server.issuer)).map((c) => c.key)).toEqual(expect.arrayContaining(['__Host-session']));

    // The admin API finds the person's session under its new name: a clinician is refused for the
    // role (403), not treated as signed out (401).
    const admin = await browser.request(`${server.issuer}/admin/api/v1/sites`, { headers: { accept: 'application/json' } });
    expect(admin.status).toBe(403);
    expect(((await admin.json()) as { error_description: string }).error_description).toContain('Only people with the role it-admin');
  });

  it('refuses a form of an older sign-in once a newer one in the same browser holds the interaction cookie', async () => {
    const server = wardgate();
    const user = await server.clinician({ username: 'host.tabs', password: PASSWORD, displayName: 'Two Tabs' });
    const rp = await createRelyingParty(server, { client_name: 'Ward rounds', first_party: true }, { customFetch: throughTlsProxy(server.url) });
    const browser = await wardTerminalBrowser(server, new RecordingBrowser(server.issuer, server.url));

    const older = await rp.start({ scope: 'openid' });
    const olderLogin = formAction(await (await browser.follow(older.url)).res.text(), /action="\/interaction\/[^"]+\/login"/);
    const newer = await rp.start({ scope: 'openid' });
    const newerLogin = formAction(await (await browser.follow(newer.url)).res.text(), /action="\/interaction\/[^"]+\/login"/);
    expect(newerLogin).not.toBe(olderLogin);

    const refused = await browser.postForm(server.issuer + olderLogin, { username: user.username, password: PASSWORD });
    expect(refused.res.status).toBe(400);
    expect(refused.leftTo).toBeUndefined();
    expect(await server.db('decisions').where({ user_id: user.id })).toEqual([]);

    const done = await declineEnrollment(browser, await browser.postForm(server.issuer + newerLogin, { username: user.username, password: PASSWORD }));
    expect(done.leftTo).toMatch(/[?&]code=/);
    expect(new URL(done.leftTo!).searchParams.get('state')).toBe(newer.state);
  });
});

describe.skipIf(databaseUnavailable())('session and interaction cookies with an http issuer', () => {
  const wardgate = serverForThisFile();

  it('keeps their plain names, and the interaction cookie its path /interaction/<uid>', async () => {
    const server = wardgate();
    const user = await server.clinician({ username: 'plain.cookies', password: PASSWORD, displayName: 'Plain Cookies' });
    const rp = await createRelyingParty(server, { client_name: 'Ward rounds' });
    const browser = await server.browser();
    const started = await rp.start({ scope: 'openid profile' });
    const first = await browser.request(started.url);
    const interaction = first.headers.getSetCookie().find((c) => c.startsWith('_interaction='));
    expect(interaction?.toLowerCase()).toMatch(/path=\/interaction\/[^;]+/);
    const { callback } = await signIn(browser, started.url, { username: user.username, password: PASSWORD });
    expect(callback).toMatch(/[?&]code=/);
    const names = (await browser.jar.getCookies(server.issuer)).map((c) => c.key);
    expect(names).toContain('_session');
    expect(names.some((n) => n.startsWith('__Host-') || n.startsWith('__Secure-'))).toBe(false);
  });
});
