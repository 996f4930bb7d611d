/**
 * The sign-in pages in a real browser: a clinician signs in to the demo app by keyboard, on a phone
 * and on a 1366x768 ward workstation, and every page fits its screen with no inline script blocked.
 * Screenshots go to test-results/screenshots (git-ignored) for a person to look at.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { chromiumUnavailable, launchChromium, SCREENSHOTS, WARD_BROWSER } from '../helpers/chromium.ts';

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'workstation', width: 1366, height: 768 },
] as const;

describe.skipIf(chromiumUnavailable())('sign-in in Chromium', () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db, { WARDGATE_DEMO: '1', NODE_ENV: 'development' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.drop();
  });

  async function fitsScreen(page: Page) {
    return page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
  }

  for (const viewport of VIEWPORTS) {
    it(`signs in to the demo app by keyboard on a ${viewport.name} (${viewport.width}x${viewport.height})`, async () => {
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height }, userAgent: WARD_BROWSER });
      const page = await context.newPage();
      const cspViolations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
      try {
        // IT's enrollment link makes this browser a ward terminal of the demo hospital.
        const pending = await server.hospital.terminals.create({ name: `Ward 3 ${viewport.name}`, siteId: 'st-elsewhere', unit: 'Ward 3' });
        await page.goto(pending.enrollmentUrl);
        expect(await fitsScreen(page)).toBe(true);
        await page.screenshot({ path: `${SCREENSHOTS}/terminal-enroll-${viewport.name}.png`, fullPage: true });
        await page.getByRole('button', { name: 'Confirm' }).click();
        await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Terminal enrolled');

        await page.goto(`${server.issuer}/demo`);
        await page.getByRole('button', { name: 'Sign in with Wardgate' }).click();
        await page.waitForURL(/\/interaction\//);
        expect(await page.title()).toBe('Sign in · Wardgate');
        expect(await fitsScreen(page)).toBe(true);
        await page.screenshot({ path: `${SCREENSHOTS}/sign-in-${viewport.name}.png`, fullPage: true });

        // The username field has focus; Tab goes to the password, then to the Sign in button.
        expect(await page.evaluate<string>('document.activeElement?.id')).toBe('username');
        await page.keyboard.type('m.grey');
        await page.keyboard.press('Tab');
        expect(await page.evaluate<string>('document.activeElement?.id')).toBe('password');
        await page.keyboard.type('wrong passphrase');
        await page.keyboard.press('Tab');
        expect(await page.evaluate<string>('document.activeElement?.textContent')).toBe('Sign in');
        await page.keyboard.press('Enter');
        await expect.poll(() => page.getByRole('alert').textContent()).toContain('The username or password is not right');
        expect(await page.getByLabel('Username').inputValue()).toBe('m.grey');
        await page.screenshot({ path: `${SCREENSHOTS}/sign-in-error-${viewport.name}.png`, fullPage: true });

        await page.getByLabel('Password').fill('grey-demo-passphrase');
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        // Trusted, and no security key yet: Wardgate offers to register one. Not now.
        await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Register a security key');
        expect(await fitsScreen(page)).toBe(true);
        await page.screenshot({ path: `${SCREENSHOTS}/enroll-offer-${viewport.name}.png`, fullPage: true });
        await page.getByRole('button', { name: 'Not now, continue' }).click();
        await page.waitForURL(/\/demo\/callback/);
        expect(await page.locator('#acr').textContent()).toBe('urn:wardgate:acr:1fa');
        expect(await page.locator('#amr').textContent()).toBe('pwd');
        expect(await page.locator('#decision-outcome').textContent()).toBe('allow');
        expect(await fitsScreen(page)).toBe(true);
        await page.screenshot({ path: `${SCREENSHOTS}/demo-signed-in-${viewport.name}.png`, fullPage: true });

        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(/\/session\/end/);
        expect(await fitsScreen(page)).toBe(true);
        await page.screenshot({ path: `${SCREENSHOTS}/sign-out-${viewport.name}.png`, fullPage: true });
        await page.getByRole('button', { name: 'Yes, sign me out' }).click();
        await page.waitForURL(/\/demo\/signed-out/);
        expect(await page.getByRole('status').textContent()).toContain('You have signed out');
        expect(cspViolations).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('shows the step-up page to a clinician who is off shift, and the blocked page to a script', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, userAgent: WARD_BROWSER });
    const page = await context.newPage();
    try {
      const pending = await server.hospital.terminals.create({ name: 'Ward 4', siteId: 'st-elsewhere', unit: 'Ward 4' });
      await page.goto(pending.enrollmentUrl);
      await page.getByRole('button', { name: 'Confirm' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Terminal enrolled');
      await page.goto(`${server.issuer}/demo`);
      await page.getByRole('button', { name: 'Sign in with Wardgate' }).click();
      await page.getByLabel('Username').fill('j.okafor');
      await page.getByLabel('Password').fill('okafor-demo-passphrase');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('You need a security key for this sign-in');
      expect(await page.locator('#decision-reference').textContent()).toMatch(/^[0-9a-f-]{36}$/);
      await page.screenshot({ path: `${SCREENSHOTS}/step-up.png`, fullPage: true });
      await page.getByRole('link', { name: 'Return to the application' }).click();
      await page.waitForURL(/\/demo\/callback\?error=access_denied/);
      // The demo app got access_denied, and (being the demo) shows Wardgate's reasons.
      expect(await page.locator('#error').textContent()).toBe('access_denied');
      expect(await page.locator('#decision-outcome').textContent()).toBe('step_up');
      expect(await page.locator('#decision-findings').textContent()).toContain('off_shift');
      await page.screenshot({ path: `${SCREENSHOTS}/demo-refused.png`, fullPage: true });
    } finally {
      await context.close();
    }
    const script = await browser.newContext({ viewport: { width: 1366, height: 768 }, userAgent: 'python-requests/2.32.3' });
    try {
      const page2 = await script.newPage();
      await page2.goto(`${server.issuer}/demo`);
      await page2.getByRole('button', { name: 'Sign in with Wardgate' }).click();
      await expect.poll(() => page2.getByRole('heading', { level: 1 }).textContent()).toBe('Sign-in blocked');
      await page2.screenshot({ path: `${SCREENSHOTS}/blocked.png`, fullPage: true });
    } finally {
      await script.close();
    }
  });

  it('shows a readable error page, not a redirect, for an unregistered return address', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, userAgent: WARD_BROWSER });
    try {
      const response = await page.goto(`${server.issuer}/auth?client_id=wardgate-demo&response_type=code&scope=openid&redirect_uri=https://evil.example/cb&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
      expect(response!.status()).toBe(400);
      expect(new URL(page.url()).origin).toBe(server.issuer);
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign-in could not continue');
      await page.screenshot({ path: `${SCREENSHOTS}/error-redirect-uri.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });
});
