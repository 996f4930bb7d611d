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
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core';
import { createAuditLog } from '../../src/audit/log.ts';
import { createWebAuthnStore } from '../../src/store/webauthn.ts';
import { createWebAuthn, relyingPartyOf } from '../../src/webauthn/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { TEST_SITE, TERMINAL_COOKIE } from '../helpers/hospital.ts';
import { chromiumUnavailable, enrollTerminal, launchChromium, SCREENSHOTS, WARD_BROWSER } from '../helpers/chromium.ts';
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
  /** Whatever the browser refused under the CSP (an inline script or style would be). */
  const cspViolations: string[] = [];
  /**
   * Photographs the page, after checking what every console page must hold: a label for every
   * field, a scope for every table header, headings in order (one h1, no level skipped), no
   * style attribute, and nothing refused by the CSP.
   */
  const shot = async (page: Page, name: string) => {
    const report = (await page.evaluate(`(() => {
      const fields = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')];
      const levels = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => Number(h.tagName[1]));
      return {
        unlabelled: fields.filter((f) => !f.labels || f.labels.length === 0).map((f) => f.id || f.name || f.outerHTML.slice(0, 60)),
        unscoped: document.querySelectorAll('th:not([scope])').length,
        styled: document.querySelectorAll('[style]').length,
        h1: levels.filter((l) => l === 1).length,
        skipped: levels.filter((l, i) => i > 0 && l > levels[i - 1] + 1),
        first: levels[0],
      };
    })()`)) as { unlabelled: string[]; unscoped: number; styled: number; h1: number; skipped: number[]; first: number };
    expect(report, name).toEqual({ unlabelled: [], unscoped: 0, styled: 0, h1: 1, skipped: [], first: 1 });
    expect(cspViolations, name).toEqual([]);
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
    const pending = await server.hospital.terminals.create({ name: 'IT office workstation', siteId: TEST_SITE.id, unit: 'IT' });
    terminalCookies = await enrollTerminal(browser, pending.enrollmentUrl, TERMINAL_COOKIE);
    return terminalCookies;
  }

  /** A browser (with a security key plugged in) at the desk of the test site. */
  async function openBrowser(options: { terminal?: boolean; viewport?: { width: number; height: number } } = {}) {
    const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP, userAgent: WARD_BROWSER });
    opened.push(context);
    if (options.terminal) await context.addCookies(await wardTerminal());
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && message.text().includes('Content Security Policy')) cspViolations.push(`${page.url()}: ${message.text()}`);
    });
    const key = await SecurityKey.plugInto(context, page);
    return { context, page, key };
  }

  /** Registers a security key in this browser with a one-time IT link (as the service desk would send). */
  async function registerKey(page: Page, userId: string) {
    const link = await createWebAuthn({ db: server.db, store: createWebAuthnStore(server.db), audit: createAuditLog(server.db), rp: relyingPartyOf(server.issuer) }).createEnrollmentLink(userId, 'it:service-desk', server.issuer);
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

  /** The admin's console, signed in once and shared by the tests that follow (closed after all). */
  let session: (Awaited<ReturnType<typeof adminConsole>> & { context: BrowserContext }) | undefined;
  async function consoleSession() {
    if (!session) {
      session = await adminConsole();
      opened.splice(opened.indexOf(session.context), 1);
    }
    return session;
  }
  afterAll(async () => {
    await session?.context.close();
  });

  const admin = () => session!.admin;
  const go = async (page: Page, section: string, title: string) => {
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: section, exact: true }).click();
    await expect.poll(() => heading(page)).toBe(title);
    expect(await page.locator('[aria-current="page"]').textContent()).toBe(section);
  };
  const notice = (page: Page) => page.locator('.notice').textContent();
  /** The ids of the audit entries of a type, newest last. */
  const audited = async (type: string) => (await server.db('audit_log').where({ type }).orderBy('id')).map((r: { actor: string | null; subject: string | null; data: string }) => ({ actor: r.actor, subject: r.subject, ...(JSON.parse(r.data) as Record<string, unknown>) }));

  it('signs an it-admin in through Wardgate with the security key (acr phr) and shows the dashboard', async () => {
    const { page, admin } = await consoleSession();
    expect(page.url()).toBe(`${server.issuer}/admin`);
    await expect.poll(() => page.locator('.console-who').textContent()).toContain(admin.displayName);
    // The session the console reads is the one the security key proved.
    const decisions = await audited('webauthn.asserted');
    expect(decisions.at(-1)).toMatchObject({ actor: admin.id });
    // The admin's own sign-in was judged and asked for the key: it is on the dashboard.
    expect(Number(await page.locator('#count-step_up').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#top-findings').textContent()).toContain('App asked for a security key');
    await shot(page, 'dashboard');
    await page.setViewportSize(PHONE);
    await shot(page, 'dashboard-phone');
    // Nothing is wider than the phone's screen.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await page.setViewportSize(DESKTOP);
    // The skip link is the first thing the keyboard reaches, and it is visible when focused.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    expect(await page.locator('.skip').boundingBox()).toMatchObject({ x: expect.any(Number) });
    expect((await page.locator('.skip').boundingBox())!.x).toBeGreaterThanOrEqual(0);
  });

  it('creates a site, names a bad CIDR beside the networks field, edits and deletes a site', async () => {
    const { page } = await consoleSession();
    await go(page, 'Sites', 'Sites and networks');
    await page.getByLabel('Site id').fill('st-marys');
    await page.getByLabel('Name').fill("St Mary's Hospital");
    await page.getByLabel('Timezone').fill('Europe/London');
    await page.getByLabel('Country').fill('GB');
    await page.getByLabel('Networks').fill('10.20.0.0/16\n10.30.0.0/33');
    await page.getByRole('button', { name: 'Create site' }).click();
    // The bad CIDR is named beside the networks field, and what was typed is kept.
    await expect.poll(() => page.locator('#networks-error').textContent()).toContain('10.30.0.0/33');
    expect(await page.locator('#networks').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#networks').getAttribute('aria-describedby')).toContain('networks-error');
    expect(await page.locator('#networks').inputValue()).toBe('10.20.0.0/16\n10.30.0.0/33');
    expect(await page.getByLabel('Name').inputValue()).toBe("St Mary's Hospital");
    // The keyboard starts at the summary, whose link leads to the field.
    expect(await page.evaluate('document.activeElement.id')).toBe('problems');
    expect(await page.locator('#problems a').getAttribute('href')).toBe('#networks');
    expect(await server.hospital.sites.get('st-marys')).toBeUndefined();
    await shot(page, 'sites-error');
    await page.getByLabel('Networks').fill('10.20.0.0/16\n10.30.0.0/24');
    await page.getByRole('button', { name: 'Create site' }).click();
    await expect.poll(() => heading(page)).toBe("St Mary's Hospital");
    expect(await notice(page)).toContain('created with 2 networks');
    expect((await server.hospital.sites.get('st-marys'))?.networks).toEqual(['10.20.0.0/16', '10.30.0.0/24']);
    // Networks edited one per line; the change is audited with before and after.
    await page.getByLabel('Networks').fill('10.20.0.0/16\n10.40.0.0/24\n');
    await page.getByRole('button', { name: 'Save site' }).click();
    await expect.poll(() => notice(page)).toContain('saved');
    expect((await server.hospital.sites.get('st-marys'))?.networks).toEqual(['10.20.0.0/16', '10.40.0.0/24']);
    expect((await audited('admin.site.update')).at(-1)).toMatchObject({ subject: 'site/st-marys' });
    await shot(page, 'site');

    // A second site, deleted after the confirmation page.
    await go(page, 'Sites', 'Sites and networks');
    await page.getByLabel('Site id').fill('old-annex');
    await page.getByLabel('Name').fill('Old Annex');
    await page.getByLabel('Timezone').fill('Europe/London');
    await page.getByLabel('Country').fill('GB');
    await page.getByRole('button', { name: 'Create site' }).click();
    await expect.poll(() => heading(page)).toBe('Old Annex');
    await page.getByRole('link', { name: 'Delete Old Annex…' }).click();
    await expect.poll(() => heading(page)).toBe('Delete Old Annex?');
    await page.getByRole('button', { name: 'Yes, delete the site' }).click();
    await expect.poll(() => heading(page)).toBe('Sites and networks');
    expect(await notice(page)).toBe('Site "Old Annex" deleted.');
    expect(await server.hospital.sites.get('old-annex')).toBeUndefined();
    await shot(page, 'sites');
  });

  it('registers a terminal: its one-time enrollment link is shown with a QR code, works once, and the terminal can be revoked', async () => {
    const { page } = await consoleSession();
    await go(page, 'Terminals', 'Terminals');
    const register = page.getByRole('region', { name: 'Register a terminal' });
    await register.getByLabel('Name').fill('Ward 7 nurses station');
    await register.getByLabel('Site').selectOption('st-marys');
    await register.getByLabel('Unit').fill('Ward 7');
    await register.getByRole('button', { name: 'Register terminal' }).click();
    await expect.poll(() => page.locator('#terminal-link-heading').textContent()).toBe('Enroll Ward 7 nurses station');
    const qr = page.getByRole('img', { name: 'Enrollment link of Ward 7 nurses station as a QR code' });
    expect(await qr.isVisible()).toBe(true);
    expect((await qr.boundingBox())!.width).toBeGreaterThan(150);
    const url = (await page.locator('#terminal-link-url').textContent())!;
    expect(url).toMatch(new RegExp(`^${server.issuer}/terminals/enroll/`));
    await shot(page, 'terminal-created');
    // The link is in the audit log nowhere.
    expect(JSON.stringify(await audited('admin.terminal.create'))).not.toContain(url.split('/').pop()!);

    // The workstation opens it once.
    const ward = await browser.newContext({ userAgent: WARD_BROWSER });
    opened.push(ward);
    const wardPage = await ward.newPage();
    await wardPage.goto(url);
    await wardPage.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => heading(wardPage)).toBe('Terminal enrolled');

    await page.goto(`${server.issuer}/admin/terminals?siteId=st-marys`);
    const row = page.getByRole('row', { name: /Ward 7 nurses station/ });
    expect(await row.textContent()).toContain('Active');
    await shot(page, 'terminals');
    await row.getByRole('link', { name: /Revoke/ }).click();
    await expect.poll(() => heading(page)).toBe('Revoke Ward 7 nurses station?');
    await page.getByRole('button', { name: 'Yes, revoke it' }).click();
    await expect.poll(() => notice(page)).toContain('revoked');
    expect(await page.getByRole('row', { name: /Ward 7 nurses station/ }).textContent()).toContain('Revoked');
  });

  it('creates a person (a bad email named beside its field), sends a one-time enrollment link, disables and enables them, and resets their keys after a confirmation', async () => {
    const { page } = await consoleSession();
    await go(page, 'Users', 'Users');
    const create = page.getByRole('region', { name: 'Create a person' });
    await create.getByLabel('Username').fill('mgrey');
    await create.getByLabel('Display name').fill('Dr Meredith Grey');
    await create.getByLabel('Email').fill('not-an-email');
    await create.getByLabel('Roles').fill('clinician');
    await create.getByRole('button', { name: 'Create person' }).click();
    await expect.poll(() => page.locator('#email-error').isVisible()).toBe(true);
    expect(await page.locator('#email').getAttribute('aria-invalid')).toBe('true');
    expect(await create.getByLabel('Display name').inputValue()).toBe('Dr Meredith Grey');
    await shot(page, 'users-error');
    await create.getByLabel('Email').fill('meredith.grey@example.org');
    await create.getByRole('button', { name: 'Create person' }).click();
    await expect.poll(() => heading(page)).toBe('Dr Meredith Grey');
    expect(await notice(page)).toContain('created');
    const created = await server.accounts.findByUsername('mgrey');
    expect(created).toMatchObject({ displayName: 'Dr Meredith Grey', email: 'meredith.grey@example.org', roles: ['clinician'] });

    await page.getByRole('button', { name: 'Create an enrollment link' }).click();
    await expect.poll(() => page.locator('#enrollment-link-url').textContent()).toMatch(new RegExp(`^${server.issuer}/`));
    expect(await page.getByRole('img', { name: 'Enrollment link as a QR code' }).isVisible()).toBe(true);
    await shot(page, 'user-link');
    // Shown once: the person's page opened again does not show it.
    await page.goto(`${server.issuer}/admin/users/${created!.id}`);
    expect(await page.locator('#enrollment-link-url').count()).toBe(0);

    await page.getByRole('button', { name: 'Disable Dr Meredith Grey' }).click();
    await expect.poll(() => notice(page)).toContain('is disabled');
    expect((await server.accounts.findByUsername('mgrey'))?.disabled).toBe(true);
    await page.getByRole('button', { name: 'Enable Dr Meredith Grey' }).click();
    await expect.poll(() => notice(page)).toContain('can sign in again');

    await page.getByRole('link', { name: 'Reset security keys…' }).click();
    await expect.poll(() => heading(page)).toBe("Remove Dr Meredith Grey's security keys?");
    await shot(page, 'user-reset');
    await page.getByRole('button', { name: 'Yes, remove every key' }).click();
    await expect.poll(() => notice(page)).toContain('Removed 0 security keys');
    expect((await audited('admin.user.reset_credentials')).at(-1)).toMatchObject({ subject: `user/${created!.id}` });
    await shot(page, 'user');

    // Search finds the person by part of the name.
    await go(page, 'Users', 'Users');
    await page.getByLabel('Name, username or email').fill('meredith');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('#users tbody tr').count()).toBe(1);
    expect(await page.locator('#users').textContent()).toContain('Dr Meredith Grey');
    await shot(page, 'users');
  });

  it('runs a simulation and reads the decision in plain language, each finding with its points', async () => {
    const { page } = await consoleSession();
    await go(page, 'Simulator', 'Simulator');
    await page.getByLabel('Username').fill('mgrey');
    await page.getByLabel('IP address').fill('212.58.244.1');
    await page.getByRole('button', { name: 'Simulate' }).click();
    await expect.poll(() => page.locator('#verdict').textContent()).toContain('Stepped up to a security key');
    const findings = (await page.locator('#findings li').allTextContents()).join('\n');
    expect(findings).toMatch(/Off shift: no shift for Dr Meredith Grey .*\(\+40\)/);
    expect(findings).toContain("From outside the hospital's networks (212.58.244.1) (+40)");
    expect(await page.locator('#finding-points').textContent()).toContain('+40');
    // What was typed stays in the form.
    expect(await page.getByLabel('IP address').inputValue()).toBe('212.58.244.1');
    await shot(page, 'simulator');
    // Simulating wrote nothing.
    expect(await server.db('decisions').where({ username: 'mgrey' })).toEqual([]);

    // An address that is not one is named beside its field.
    await page.getByLabel('IP address').fill('not-an-ip');
    await page.getByRole('button', { name: 'Simulate' }).click();
    await expect.poll(() => page.locator('#ip-error').textContent()).toContain('IPv4 or IPv6');
  });

  it('shows the rota per site and day, adds a shift, and imports a CSV: a good file, then one whose every bad line is shown', async () => {
    const { page } = await consoleSession();
    // A day next week, so that the simulation above and the sign-ins below are not on these shifts.
    const day = DateTime.now().setZone('Europe/London').plus({ days: 7 }).toISODate()!;
    await go(page, 'Shifts', 'Shifts');
    const choose = page.getByRole('form', { name: 'Choose site and day' });
    await choose.getByLabel('Site').selectOption('st-marys');
    await choose.getByLabel('Day').fill(day);
    await choose.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.locator('#no-shifts').textContent()).toContain("No shift at St Mary's Hospital");

    const add = page.getByRole('region', { name: 'Add a shift' });
    await add.getByLabel('Username').fill('mgrey');
    await add.getByLabel('Site').selectOption('st-marys');
    await add.getByLabel('Start').fill(`${day}T20:00`);
    await add.getByLabel('End').fill(`${day}T08:00`);
    await add.getByRole('button', { name: 'Add shift' }).click();
    // An end before the start is named beside the end, and what was typed is kept.
    await expect.poll(() => page.locator('#shift-end-error').isVisible()).toBe(true);
    expect(await page.locator('#shift-end').getAttribute('aria-invalid')).toBe('true');
    expect(await add.getByLabel('Username').inputValue()).toBe('mgrey');
    await add.getByLabel('Start').fill(`${day}T07:00`);
    await add.getByLabel('End').fill(`${day}T19:30`);
    await add.getByRole('button', { name: 'Add shift' }).click();
    await expect.poll(() => notice(page)).toBe('Shift added for mgrey.');
    expect(await page.locator('#shifts').textContent()).toContain('07:00');
    expect(await page.locator('#shifts').textContent()).toContain('19:30');

    // A good rota file: read into the box by the page's script, imported whole.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rota-'));
    const good = path.join(dir, 'rota.csv');
    fs.writeFileSync(good, `username,site_id,start,end,kind,external_id\nmgrey,st-marys,${day}T19:30,${day}T23:00,on_call,R-1\n${admin().username},st-marys,${day}T08:00,${day}T16:00,scheduled,R-2\n`);
    const rota = page.getByRole('region', { name: 'Upload the rota' });
    await rota.getByLabel('Rota file (CSV)').setInputFiles(good);
    await expect.poll(() => rota.getByLabel('Rota text').inputValue()).toContain('R-2');
    expect(await page.locator('#rota-file-status').textContent()).toContain('rota.csv: 3 lines');
    await rota.getByRole('button', { name: 'Import rota' }).click();
    await expect.poll(() => notice(page)).toBe('Rota imported: 2 shifts added, 0 updated, 0 already as stored.');
    expect(await page.locator('#shifts tbody tr').count()).toBe(3);
    expect(await page.locator('#shifts').textContent()).toContain('On call');
    await shot(page, 'shifts');

    // A file with three bad lines: each is shown with its line, column and message; nothing is written.
    const stored = (await server.db('shifts')).length;
    const bad = path.join(dir, 'bad-rota.csv');
    fs.writeFileSync(bad, `username,site_id,start,end\nnobody-here,st-marys,${day}T08:00,${day}T16:00\nmgrey,no-such-site,${day}T08:00,${day}T16:00\nmgrey,st-marys,${day}T16:00,${day}T08:00\nmgrey,st-marys,${day}T21:00,${day}T22:00\n`);
    await rota.getByLabel('Rota file (CSV)').setInputFiles(bad);
    await expect.poll(() => rota.getByLabel('Rota text').inputValue()).toContain('nobody-here');
    await rota.getByRole('button', { name: 'Import rota' }).click();
    await expect.poll(() => page.locator('#csv-problems').textContent()).toContain('3 lines are wrong');
    const rows = await page.locator('#csv-errors tbody tr').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^2username.*nobody-here/);
    expect(rows[1]).toMatch(/^3site_id.*no-such-site/);
    expect(rows[2]).toMatch(/^4end/);
    // The text stays in the box to be fixed.
    expect(await page.getByRole('region', { name: 'Upload the rota' }).getByLabel('Rota text').inputValue()).toContain('nobody-here');
    expect((await server.db('shifts')).length).toBe(stored);
    await shot(page, 'shifts-csv-errors');
  });

  it('replays the active policy over the recorded decisions: nothing changes', async () => {
    const { page } = await consoleSession();
    await go(page, 'Replay', 'Replay a draft policy');
    expect(JSON.parse(await page.getByLabel('Draft policy (JSON)').inputValue())).toHaveProperty('thresholds');
    await page.getByRole('button', { name: 'Replay' }).click();
    await expect.poll(() => page.locator('#replay-summary').textContent()).toMatch(/^0 of [1-9]\d* decisions? would change/);
    await shot(page, 'replay');
  });

  it('edits the policy: an invalid value is shown inline before submitting, the changes against the active version, a new version saved, activated and rolled back', async () => {
    const { page } = await consoleSession();
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(new URL(request.url()).pathname);
    });
    await go(page, 'Policy', 'Risk policy');
    const settings = page.getByRole('region', { name: 'Settings' });
    expect(await settings.isVisible()).toBe(true);
    const json = page.getByLabel('Document', { exact: true });
    const deny = settings.getByLabel('Deny threshold');
    expect(await deny.inputValue()).toBe('200');

    // A deny threshold below the step-up threshold: the error appears beside the field as it is typed.
    await deny.fill('10');
    await expect.poll(() => page.locator('#set-thresholds-deny-error').textContent()).toBe('deny must be above stepUp');
    expect(await deny.getAttribute('aria-invalid')).toBe('true');
    expect(await deny.getAttribute('aria-describedby')).toContain('set-thresholds-deny-error');
    expect(JSON.parse(await json.inputValue()).thresholds.deny).toBe(10);
    expect(await page.locator('#policy-live-errors').textContent()).toContain('/thresholds/deny: deny must be above stepUp');
    // Checked by the API only: nothing was submitted, nothing saved.
    expect(posts.filter((p) => p !== '/admin/api/v1/policy/validate')).toEqual([]);
    expect(posts).toContain('/admin/api/v1/policy/validate');
    expect(await server.db('policy_versions').count({ n: '*' }).first()).toMatchObject({ n: 1 });
    await shot(page, 'policy-invalid');

    // Submitted anyway, the server refuses it with the same error beside the same field.
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expect.poll(() => page.locator('#policy-problems').textContent()).toContain('/thresholds/deny');
    expect(await page.locator('#set-thresholds-deny-error').textContent()).toBe('deny must be above stepUp');
    expect(JSON.parse(await json.inputValue()).thresholds.deny).toBe(10);

    // JSON typed by hand fills the form; the form writes into the JSON.
    const draft = JSON.parse(await json.inputValue());
    draft.thresholds.deny = 150;
    await json.fill(JSON.stringify(draft, null, 2));
    await expect.poll(() => page.getByRole('region', { name: 'Settings' }).getByLabel('Deny threshold').inputValue()).toBe('150');
    await expect.poll(() => page.locator('#set-thresholds-deny-error').isHidden()).toBe(true);
    await page.getByRole('region', { name: 'Settings' }).getByLabel('Off shift', { exact: true }).fill('50');
    await page.getByRole('region', { name: 'Settings' }).getByLabel('Allowed countries').fill('gb, ie');
    await expect.poll(async () => JSON.parse(await json.inputValue()).lists.allowedCountries).toEqual(['GB', 'IE']);
    await expect.poll(() => page.locator('#policy-check').textContent()).toBe('The draft is valid.');

    await page.getByRole('button', { name: 'Show changes' }).click();
    await expect.poll(() => page.locator('#diff-heading').textContent()).toBe('Changes: From the active version 1 to this draft');
    const diff = await page.locator('#diff-table').textContent();
    expect(diff).toContain('/thresholds/deny');
    expect(diff).toContain('/weights/off_shift');
    expect(diff).toContain('/lists/allowedCountries');
    await shot(page, 'policy-diff');

    await page.getByLabel('Why this version').fill('Fewer blocks, off shift weighs more');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expect.poll(() => notice(page)).toBe('Saved as version 2. It is not active yet: activate it from the list of versions.');
    expect(await page.locator('#versions tbody tr').count()).toBe(2);
    await page.getByRole('button', { name: 'Activate version 2' }).click();
    await expect.poll(() => notice(page)).toBe('Version 2 is now active.');
    expect(await page.locator('.lead').first().textContent()).toContain('Version 2 is active');
    expect((await audited('admin.policy.activate')).at(-1)).toMatchObject({ subject: 'policy/2' });
    await page.getByRole('link', { name: 'Compare version 1 with active' }).click();
    await expect.poll(() => page.locator('#diff-heading').textContent()).toBe('Changes: From version 1 to the active version 2');
    await page.getByRole('button', { name: 'Roll back to version 1' }).click();
    await expect.poll(() => notice(page)).toBe('Rolled back: version 1 is active again.');
    await shot(page, 'policy');
  });

  it('lists decisions as sentences with filters, opens one by its reference, and shows the audit log with its chain verified', async () => {
    const { page, admin } = await consoleSession();
    await go(page, 'Decisions', 'Decisions');
    await page.getByLabel('Username').fill(admin.username);
    await page.getByLabel('Outcome').selectOption('step_up');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('#decisions tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#decisions').textContent()).toContain('Security key asked');
    await shot(page, 'decisions');
    await page.locator('#decisions tbody tr').first().getByRole('link').click();
    await expect.poll(() => heading(page)).toBe(`Decision about ${admin.username}`);
    expect(await page.locator('#explanation').textContent()).toContain('asked for phishing-resistant proof');
    await shot(page, 'decision');

    await go(page, 'Audit', 'Audit log');
    expect(await page.locator('#verification').textContent()).toContain('The chain holds');
    await page.getByLabel('Type').fill('admin.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('#audit').textContent()).toContain('admin.site.create');
    await shot(page, 'audit');
    // The FHIR export downloads with the console's session.
    const download = await page.request.get(`${server.issuer}/admin/api/v1/audit/export?format=fhir`);
    expect(download.status()).toBe(200);
    expect(((await download.json()) as { resourceType: string }).resourceType).toBe('Bundle');
    expect(await page.getByRole('link', { name: 'FHIR export' }).getAttribute('href')).toBe('/admin/api/v1/audit/export?format=fhir');
  });

  it('signs out through Wardgate and back to the console, which then asks to sign in again', async () => {
    const { page } = await adminConsole();
    await page.getByRole('link', { name: 'Sign out' }).click();
    await expect.poll(() => heading(page)).toBe('Sign out of Wardgate?');
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await expect.poll(() => heading(page)).toBe('Signed out');
    expect(page.url()).toBe(`${server.issuer}/admin/signed-out`);
    await page.goto(`${server.issuer}/admin/users`);
    await expect.poll(() => heading(page)).toBe('Sign in');
    expect((await page.request.get(`${server.issuer}/admin/api/v1/sites`)).status()).toBe(401);
  });

  it('refuses a change posted from another origin', async () => {
    const { page } = await consoleSession();
    const response = await page.request.post(`${server.issuer}/admin/sites`, { form: { id: 'evil', name: 'Evil', timezone: 'UTC', country: 'GB' }, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, maxRedirects: 0 });
    expect(response.status()).toBe(403);
    expect(await server.hospital.sites.get('evil')).toBeUndefined();
    expect((await audited('admin.access_denied')).at(-1)).toMatchObject({ reason: 'cross_origin', method: 'POST', path: '/admin/sites' });
  });

  /** Signs in with the password only, at the ward terminal, through the account page (no acr asked): acr 1fa. */
  async function passwordSession(username: string, page: Page) {
    await page.goto(`${server.issuer}/account`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => heading(page)).toMatch(/^(Your security keys|Register a security key)$/);
    if ((await heading(page)) === 'Register a security key') {
      await page.getByRole('button', { name: 'Not now, continue' }).click();
      await expect.poll(() => heading(page)).toBe('Your security keys');
    }
  }

  it('refuses a signed-in person without the role it-admin: the API answers 403 and the console says why', async () => {
    const nurse = await person(false);
    const { page } = await openBrowser({ terminal: true });
    await passwordSession(nurse.username, page);
    const api = await page.request.get(`${server.issuer}/admin/api/v1/sites`);
    expect(api.status()).toBe(403);
    expect(((await api.json()) as { error: string }).error).toBe('forbidden');
    expect((await audited('admin.access_denied')).at(-1)).toMatchObject({ actor: nurse.id, reason: 'not_it_admin' });
    const response = await page.goto(`${server.issuer}/admin/users`);
    expect(response!.status()).toBe(403);
    expect((await audited('admin.access_denied')).at(-1)).toMatchObject({ actor: nurse.id, reason: 'not_it_admin', path: '/admin/users' });
    expect(await heading(page)).toBe('Not an IT administrator');
    expect(await page.locator('main').textContent()).toContain(nurse.displayName);
    await shot(page, 'not-admin');
  });

  it('asks an it-admin whose session was proven with a password only (acr 1fa) for the security key, then lets them in', async () => {
    const admin = await person(true);
    const { page } = await openBrowser({ terminal: true });
    await registerKey(page, admin.id);
    await passwordSession(admin.username, page);
    const api = await page.request.get(`${server.issuer}/admin/api/v1/sites`);
    expect(api.status()).toBe(403);
    expect((await audited('admin.access_denied')).at(-1)).toMatchObject({ actor: admin.id, reason: 'acr_too_weak' });
    const response = await page.goto(`${server.issuer}/admin/terminals`);
    expect(response!.status()).toBe(403);
    expect(await heading(page)).toBe('Confirm with your security key');
    await shot(page, 'confirm-key');
    // The button asks Wardgate for acr phr: the key steps the session up, and the console opens where it was asked.
    await page.getByRole('link', { name: 'Confirm with my security key' }).click();
    await expect.poll(() => heading(page)).toBe('Stronger proof needed');
    expect(await page.getByLabel('Password').count()).toBe(0);
    await page.getByRole('button', { name: 'Use my security key' }).click();
    await expect.poll(() => heading(page)).toBe('Terminals');
    expect((await page.request.get(`${server.issuer}/admin/api/v1/sites`)).status()).toBe(200);
  });

  it('sends a signed-out visitor to the sign-in page', async () => {
    const { page } = await openBrowser();
    await page.goto(`${server.issuer}/admin/audit`);
    await expect.poll(() => heading(page)).toBe('Sign in');
    expect(await page.locator('.lead').textContent()).toContain('Wardgate IT console');
  });
});
