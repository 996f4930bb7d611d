/**
 * Debian's Chromium driven by playwright-core (no browser download). With CI=true a missing browser
 * fails the suite; elsewhere the suite is skipped with a loud warning.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Cookie } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env.WARDGATE_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumUnavailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`Chromium is required with CI=true but ${CHROMIUM} does not exist`);
  console.warn(`\n*** ${CHROMIUM} not found: SKIPPING the browser suite (apt-get install chromium) ***\n`);
  return true;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export const SCREENSHOTS = 'test-results/screenshots';

// Headless Chromium says so in its user agent, and Wardgate blocks automation clients: the tests
// present the user agent of the same Chromium as a person's browser on a Linux ward PC.
export const WARD_BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/**
 * Makes a browser a ward terminal the way IT does: opens the terminal's one-time enrollment link
 * in a fresh context and confirms. The cookies it got (the terminal credential among them).
 */
export async function enrollTerminal(browser: Browser, enrollmentUrl: string, cookieName: string): Promise<Cookie[]> {
  const context = await browser.newContext({ userAgent: WARD_BROWSER });
  try {
    const page = await context.newPage();
    await page.goto(enrollmentUrl);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Terminal enrolled');
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).toContain(cookieName);
    return cookies;
  } finally {
    await context.close();
  }
}
