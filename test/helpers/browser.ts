/**
 * A minimal HTTP user agent for integration tests: a real cookie jar (tough-cookie), manual
 * redirects, and helpers that walk a sign-in the way a browser would, form by form. Browser tests
 * proper (Chromium) live in test/e2e.
 */
import { CookieJar } from 'tough-cookie';

export const WARD_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

export class TestBrowser {
  readonly jar = new CookieJar();
  readonly origin: string;
  /** Sent with every request (e.g. X-Forwarded-For through a trusted proxy, a User-Agent). */
  readonly headers: Record<string, string> = {};
  constructor(origin: string) {
    this.origin = origin;
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers({ ...this.headers, ...Object.fromEntries(new Headers(init.headers)) });
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.set('cookie', cookie);
    if (!headers.has('accept')) headers.set('accept', 'text/html,application/xhtml+xml');
    if (!headers.has('user-agent')) headers.set('user-agent', WARD_UA);
    const res = await this.send(url, { ...init, headers });
    for (const setCookie of res.headers.getSetCookie()) await this.jar.setCookie(setCookie, url);
    return res;
  }

  /** Sends one request as it is, redirects not followed (a subclass may route it, as a proxy would). */
  protected send(url: string, init: RequestInit): Promise<Response> {
    return fetch(url, { ...init, redirect: 'manual' });
  }

  /**
   * Follows redirects while they stay on Wardgate's origin. Returns the last response and, when a
   * redirect leaves the origin (to a relying app), that location without requesting it.
   */
  async follow(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string; leftTo?: string }> {
    let current = url;
    let res = await this.request(current, init);
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops++) {
      const location = new URL(res.headers.get('location')!, current).href;
      await res.body?.cancel();
      if (!location.startsWith(this.origin)) return { res, url: current, leftTo: location };
      current = location;
      res = await this.request(current);
    }
    return { res, url: current };
  }

  async postForm(url: string, fields: Record<string, string>) {
    return this.follow(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** Declines the offer to register a security key, when the page makes it. */
export async function declineEnrollment(browser: TestBrowser, step: { res: Response; url: string; leftTo?: string }) {
  if (step.leftTo) return step;
  const html = await step.res.clone().text();
  const skip = html.match(/action="(\/interaction\/[^"]+\/enroll\/skip)"/);
  if (!skip) return { ...step, html };
  return browser.postForm(browser.origin + skip[1], {});
}

export function formAction(html: string, pattern: RegExp): string {
  const match = html.match(pattern);
  if (!match) throw new Error(`no form matching ${pattern} in page:\n${html.slice(0, 2000)}`);
  return match[0].replace(/^action="/, '').replace(/"$/, '').replaceAll('&#34;', '"').replaceAll('&amp;', '&');
}

/**
 * From an authorization URL to the relying app's callback: login form, then consent if asked.
 * Returns the callback URL (with code or error) and the last page seen on the way.
 */
export async function signIn(browser: TestBrowser, authorizationUrl: string, credentials: { username: string; password: string }) {
  let step = await browser.follow(authorizationUrl);
  if (step.leftTo) return { callback: step.leftTo, page: '' };
  let html = await step.res.text();
  const login = formAction(html, /action="\/interaction\/[^"]+\/login"/);
  step = await browser.postForm(browser.origin + login, credentials);
  if (step.leftTo) return { callback: step.leftTo, page: '' };
  html = await step.res.text();
  // A trusted sign-in without a security key is offered to register one; these tests decline.
  const skip = html.match(/action="\/interaction\/[^"]+\/enroll\/skip"/);
  if (skip) {
    step = await browser.postForm(browser.origin + formAction(html, /action="\/interaction\/[^"]+\/enroll\/skip"/), {});
    if (step.leftTo) return { callback: step.leftTo, page: '' };
    html = await step.res.text();
  }
  const confirm = html.match(/action="\/interaction\/[^"]+\/confirm"/);
  if (!confirm) return { callback: undefined, page: html, status: step.res.status };
  step = await browser.postForm(browser.origin + formAction(html, /action="\/interaction\/[^"]+\/confirm"/), {});
  return { callback: step.leftTo, page: step.leftTo ? '' : await step.res.text() };
}
