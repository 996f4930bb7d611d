/**
 * Debian's Chromium driven by playwright-core (no browser download). With CI=true a missing browser
 * fails the suite; elsewhere the suite is skipped with a loud warning.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
