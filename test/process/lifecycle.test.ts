/**
 * The process as an operator sees it: the development demo works end to end in a fresh folder,
 * and SIGTERM lets in-flight requests finish before the database closes.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnWardgate } from '../helpers/process.ts';
import { TestBrowser, formAction } from '../helpers/browser.ts';

const portOf = (lines: string[]) => JSON.parse(lines.find((l) => l.includes('"event":"ready"'))!).port as number;

describe('wardgate start', () => {
  it('starts a demo hospital with no configuration, and the demo app signs in through Wardgate', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'wardgate-demo-'));
    // No DATABASE_URL, no key: development defaults under the data directory.
    const running = await spawnWardgate({ WARDGATE_DATA_DIR: path.join(folder, 'data'), PORT: '0' });
    try {
      expect(fs.existsSync(path.join(folder, 'data', 'wardgate.db'))).toBe(true);
      expect((fs.statSync(path.join(folder, 'data', 'key-encryption.key')).mode & 0o777).toString(8)).toBe('600');
      await expect.poll(() => running.lines.find((l) => l.includes('"event":"demo"'))).toContain('m.grey / grey-demo-passphrase');
      const demo = JSON.parse(running.lines.find((l) => l.includes('"event":"demo"'))!) as { terminalEnrollmentUrl: string; onShift: string; offShift: string };
      expect(demo).toMatchObject({ onShift: 'm.grey', offShift: 'j.okafor' });

      const issuer = running.issuer;
      const browser = new TestBrowser(issuer);
      // The printed link makes this browser the demo ward terminal.
      const enroll = await browser.follow(demo.terminalEnrollmentUrl);
      expect(await enroll.res.text()).toContain('Make this browser a known terminal');
      const enrolled = await browser.postForm(demo.terminalEnrollmentUrl, {});
      expect(await enrolled.res.text()).toContain('Demo ward workstation');
      const home = await browser.follow(`${issuer}/demo`);
      expect(await home.res.text()).toContain('Sign in with Wardgate');
      const toLogin = await browser.follow(`${issuer}/demo/login`, { method: 'POST' });
      const loginPage = await toLogin.res.text();
      expect(loginPage).toContain('Wardgate demo app');
      const action = formAction(loginPage, /action="\/interaction\/[^"]+\/login"/);
      // First-party demo client: no consent page; the redirect lands back on /demo/callback.
      const offered = await browser.postForm(issuer + action, { username: 'm.grey', password: 'grey-demo-passphrase' });
      // A trusted sign-in without a security key is offered to register one; this test declines.
      const offer = await offered.res.text();
      expect(offer).toContain('Register a security key');
      const result = await browser.postForm(issuer + formAction(offer, /action="\/interaction\/[^"]+\/enroll\/skip"/), {});
      expect(result.url).toMatch(/\/demo\/callback\?/);
      expect(result.res.status).toBe(200);
      const page = await result.res.text();
      expect(page).toContain('Signed in as Dr Meredith Grey');
      expect(page).toMatch(/<code id="acr">urn:wardgate:acr:1fa<\/code>/);
      expect(page).toMatch(/<code id="amr">pwd<\/code>/);
      expect(page).toContain('https://fhir.st-elsewhere.example/r4/Practitioner/m-grey');
      // The demo shows how Wardgate decided.
      expect(page).toMatch(/<strong id="decision-outcome">allow<\/strong>/);
      expect(page).toContain('<code>on_shift</code>');
      expect(page).toContain('<code>known_terminal</code>');

      // Nurse Okafor is not on shift: the same terminal, a step-up instead of a token.
      const other = new TestBrowser(issuer);
      for (const cookie of await browser.jar.getCookies(`${issuer}/`)) if (cookie.key === 'wardgate_terminal') await other.jar.setCookie(cookie.cookieString(), `${issuer}/`);
      const toLogin2 = await other.follow(`${issuer}/demo/login`, { method: 'POST' });
      const action2 = formAction(await toLogin2.res.text(), /action="\/interaction\/[^"]+\/login"/);
      const stepped = await other.postForm(issuer + action2, { username: 'j.okafor', password: 'okafor-demo-passphrase' });
      expect(await stepped.res.text()).toContain('You need a security key for this sign-in');
    } finally {
      expect(await running.stop()).toBe(0);
    }
    // A second start seeds nothing new, keeps the same keys, and the terminal stays enrolled.
    const again = await spawnWardgate({ WARDGATE_DATA_DIR: path.join(folder, 'data'), PORT: '0' });
    try {
      expect(again.lines.join('\n')).not.toContain('keys created');
      await expect.poll(() => again.lines.find((l) => l.includes('"event":"demo"'))).toContain('already enrolled');
    } finally {
      await again.stop();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('drains an in-flight request on SIGTERM, then closes the database and exits 0', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'wardgate-drain-'));
    const running = await spawnWardgate({ WARDGATE_DATA_DIR: folder, WARDGATE_DEMO: '0', PORT: '0' });
    const port = portOf(running.lines);
    try {
      // A request whose body is still arriving when SIGTERM comes.
      const response = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, method: 'POST', path: '/interaction/none/login', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '20', accept: 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
          },
        );
        req.on('error', reject);
        req.write('username=');
        setTimeout(() => {
          running.child.kill('SIGTERM');
          setTimeout(() => req.end('abcdefghijk'), 300);
        }, 200);
      });
      const { status } = await response;
      // The request was answered (the interaction does not exist: 400), not cut off.
      expect(status).toBe(400);
      expect(await running.exited).toBe(0);
      const log = running.lines.join('\n');
      expect(log).toContain('"signal":"SIGTERM"');
      expect(log).toContain('Wardgate stopped');
      // New connections are refused once draining started.
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      await running.stop();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
