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
import { chromiumUnavailable, launchChromium, SCREENSHOTS } from '../helpers/chromium.ts';

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
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      const page = await context.newPage();
      const cspViolations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
      try {
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
        await page.waitForURL(/\/demo\/callback/);
        expect(await page.locator('#acr').textContent()).toBe('urn:wardgate:acr:1fa');
        expect(await page.locator('#amr').textContent()).toBe('pwd');
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

  it('shows a readable error page, not a redirect, for an unregistered return address', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
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
