/**
 * The devices adapter with real user agents and client hints: current browsers on current
 * systems, old ones, automation clients, frozen user agents corrected by client hints (and left
 * unknown without them), and a fingerprint that is stable and never the raw user agent.
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_HINT_HEADERS, describeDevice, parseBrandList } from '../../../src/device/user-agent.ts';

const UA = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  edgeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0',
  firefoxWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:145.0) Gecko/20100101 Firefox/145.0',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Safari/605.1.15',
  chromeMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:145.0) Gecko/20100101 Firefox/145.0',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1',
  chromeIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/142.0.7444.77 Mobile/15E148 Safari/604.1',
  chromeAndroid: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36',
  firefoxAndroid: 'Mozilla/5.0 (Android 15; Mobile; rv:145.0) Gecko/145.0 Firefox/145.0',
  samsungAndroid: 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36',
  chrome90: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.93 Safari/537.36',
  chromeWindows7: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36',
  headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/142.0.0.0 Safari/537.36',
};

const CHROME_HINTS = {
  'sec-ch-ua': '"Chromium";v="142", "Google Chrome";v="142", "Not_A Brand";v="99"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Windows"',
};

describe('describeDevice', () => {
  it.each([
    ['Chrome on Windows 11 (with its client hints)', UA.chromeWindows, { ...CHROME_HINTS, 'sec-ch-ua-platform-version': '"19.0.0"' }, 'Chrome', 142, 'Windows', '11', 'Chrome 142 on Windows 11'],
    ['Edge on Windows 11', UA.edgeWindows, { 'sec-ch-ua': '"Chromium";v="142", "Microsoft Edge";v="142", "Not_A Brand";v="99"', 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"15.0.0"' }, 'Edge', 142, 'Windows', '11', 'Edge 142 on Windows 11'],
    ['Firefox on Windows (no client hints: NT 10.0 reads as 10)', UA.firefoxWindows, {}, 'Firefox', 145, 'Windows', '10', 'Firefox 145 on Windows 10'],
    ['Safari on macOS (frozen at 10_15_7: version unknown)', UA.safariMac, {}, 'Safari', 26, 'Mac OS', null, 'Safari 26 on Mac OS'],
    ['Chrome on macOS with its platform version', UA.chromeMac, { 'sec-ch-ua-platform': '"macOS"', 'sec-ch-ua-platform-version': '"15.1.0"' }, 'Chrome', 142, 'Mac OS', '15.1', 'Chrome 142 on Mac OS 15.1'],
    ['Firefox on macOS (frozen at 10.15)', UA.firefoxMac, {}, 'Firefox', 145, 'Mac OS', null, 'Firefox 145 on Mac OS'],
    ['Safari on an iPhone', UA.safariIphone, {}, 'Mobile Safari', 26, 'iOS', '18.6', 'Mobile Safari 26 on iOS 18.6'],
    ['Chrome on an iPhone', UA.chromeIphone, {}, 'Chrome', 142, 'iOS', '18.6', 'Chrome 142 on iOS 18.6'],
    ['Chrome on Android (frozen "Android 10; K": version unknown)', UA.chromeAndroid, {}, 'Chrome', 142, 'Android', null, 'Chrome 142 on Android'],
    ['Chrome on Android with its platform version', UA.chromeAndroid, { 'sec-ch-ua-mobile': '?1', 'sec-ch-ua-platform': '"Android"', 'sec-ch-ua-platform-version': '"14.0.0"' }, 'Chrome', 142, 'Android', '14', 'Chrome 142 on Android 14'],
    ['Firefox on Android (not frozen)', UA.firefoxAndroid, {}, 'Firefox', 145, 'Android', '15', 'Firefox 145 on Android 15'],
    ['Samsung Internet on Android', UA.samsungAndroid, {}, 'Samsung Internet', 28, 'Android', '14', 'Samsung Internet 28 on Android 14'],
    ['Chrome 90', UA.chrome90, {}, 'Chrome', 90, 'Windows', '10', 'Chrome 90 on Windows 10'],
    ['Chrome 109 on Windows 7', UA.chromeWindows7, {}, 'Chrome', 109, 'Windows', '7', 'Chrome 109 on Windows 7'],
  ])('reads %s', (_label, userAgent, hints, browser, major, os, version, summary) => {
    const device = describeDevice(userAgent, hints);
    expect(device).toMatchObject({ browser: { name: browser, major }, os: { name: os, version }, automation: null, summary });
  });

  describe('client hints over a frozen user agent', () => {
    it('reads Windows 11 from a platform version of 13 or more although the user agent says Windows NT 10.0', () => {
      for (const v of ['"13.0.0"', '"15.0.0"', '"19.0.0"']) expect(describeDevice(UA.chromeWindows, { ...CHROME_HINTS, 'sec-ch-ua-platform-version': v }).os).toEqual({ name: 'Windows', version: '11' });
    });

    it('reads Windows 10 from platform versions 1 to 12, and 7, 8 and 8.1 from 0.1, 0.2 and 0.3', () => {
      const windows = (v: string) => describeDevice(UA.chromeWindows, { ...CHROME_HINTS, 'sec-ch-ua-platform-version': `"${v}"` }).os.version;
      expect(['1.0.0', '10.0.0', '12.0.0'].map(windows)).toEqual(['10', '10', '10']);
      expect(['0.1.0', '0.2.0', '0.3.0'].map(windows)).toEqual(['7', '8', '8.1']);
      expect(['', 'zero'].map(windows)).toEqual(['10', null]);
    });

    it('takes the browser and its full major version from the full version list', () => {
      const device = describeDevice('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36', {
        ...CHROME_HINTS,
        'sec-ch-ua-full-version-list': '"Not?A_Brand";v="99.0.0.0", "Chromium";v="142.0.7444.60", "Google Chrome";v="142.0.7444.60"',
      });
      expect(device.browser).toEqual({ name: 'Chrome', major: 142 });
    });

    it('prefers Google Chrome, Microsoft Edge or Opera over Chromium, whatever the order, and ignores GREASE brands', () => {
      const brandOf = (list: string) => describeDevice(UA.chromeWindows, { 'sec-ch-ua': list }).browser;
      expect(brandOf('"Not)A;Brand";v="8", "Chromium";v="142", "Microsoft Edge";v="142"')).toEqual({ name: 'Edge', major: 142 });
      expect(brandOf('"Opera";v="124", "Chromium";v="140", "Not/A)Brand";v="24"')).toEqual({ name: 'Opera', major: 124 });
      expect(brandOf('"Chromium";v="142", "Not_A Brand";v="99", "Google Chrome";v="142"')).toEqual({ name: 'Chrome', major: 142 });
      expect(brandOf('"Not.A/Brand";v="8", "Chromium";v="142"')).toEqual({ name: 'Chrome', major: 142 });
    });

    it('keeps the user agent\'s browser when the hints name only Chromium (Vivaldi sends no brand of its own)', () => {
      const vivaldi = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Vivaldi/7.6.3797.63';
      expect(describeDevice(vivaldi, { 'sec-ch-ua': '"Chromium";v="142", "Not_A Brand";v="24"' }).browser).toEqual({ name: 'Vivaldi', major: 7 });
    });

    it('ignores a malformed brand list and an "Unknown" platform', () => {
      expect(describeDevice(UA.chromeWindows, { 'sec-ch-ua': 'Google Chrome 200', 'sec-ch-ua-platform': '"Unknown"' })).toMatchObject({
        browser: { name: 'Chrome', major: 142 },
        os: { name: 'Windows', version: '10' },
      });
      expect(parseBrandList('"Chromium";v="142", garbage')).toEqual([]);
      expect(parseBrandList('"Not)A;Brand";v="8", "Google \\"Chrome\\"";v="142"')).toEqual([
        { brand: 'Not)A;Brand', version: '8' },
        { brand: 'Google "Chrome"', version: '142' },
      ]);
    });

    it('does not apply a platform version to another platform than the one hinted', () => {
      // Hints say Android, the user agent says Windows: the Windows version means nothing then.
      expect(describeDevice(UA.chromeWindows, { 'sec-ch-ua-platform': '"Android"' }).os).toEqual({ name: 'Android', version: null });
    });
  });

  describe('automation', () => {
    it.each([
      [UA.headless, 'headless browser (HeadlessChrome)'],
      ['Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1', 'headless browser (PhantomJS)'],
      ['Mozilla/5.0 (X11; Linux x86_64) Selenium/4.20 Chrome/142.0.0.0', 'browser automation (Selenium)'],
      ['curl/8.5.0', 'command-line client (curl)'],
      ['Wget/1.21.4', 'command-line client (Wget)'],
      ['HTTPie/3.2.2', 'command-line client (HTTPie)'],
      ['libwww-perl/6.72', 'command-line client (libwww-perl)'],
      ['Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.1', 'command-line client (PowerShell)'],
      ['python-requests/2.32.3', 'scripting library (python-requests)'],
      ['Python-urllib/3.12', 'scripting library (Python-urllib)'],
      ['Python/3.12 aiohttp/3.9.5', 'scripting library (aiohttp)'],
      ['python-httpx/0.27.0', 'scripting library (python-httpx)'],
      ['Go-http-client/1.1', 'scripting library (Go-http-client)'],
      ['Java/17.0.2', 'scripting library (Java/)'],
      ['Apache-HttpClient/4.5.14 (Java/17.0.2)', 'scripting library (Apache-HttpClient)'],
      ['okhttp/4.12.0', 'scripting library (okhttp)'],
      ['node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 'scripting library (node-fetch)'],
      ['axios/1.7.2', 'scripting library (axios)'],
      ['undici', 'scripting library (undici)'],
      ['node', 'scripting library (node)'],
      ['Ruby', 'scripting library (Ruby)'],
      ['Scrapy/2.11.2 (+https://scrapy.org)', 'scripting library (Scrapy)'],
      ['', 'empty user agent'],
      ['   ', 'empty user agent'],
    ])('recognises %j as automation', (userAgent, reason) => {
      expect(describeDevice(userAgent, {}).automation).toBe(reason);
    });

    it('recognises a headless brand in the client hints', () => {
      expect(describeDevice(UA.chromeWindows, { 'sec-ch-ua': '"Chromium";v="142", "HeadlessChrome";v="142", "Not_A Brand";v="99"' }).automation).toBe('headless browser (HeadlessChrome brand)');
    });

    it('finds no automation in ordinary browsers', () => {
      for (const userAgent of Object.values(UA).filter((ua) => ua !== UA.headless)) expect(describeDevice(userAgent, {}).automation).toBeNull();
    });

    it('summarises an unrecognised client plainly', () => {
      expect(describeDevice('curl/8.5.0', {})).toMatchObject({ browser: { name: null, major: null }, os: { name: null, version: null }, summary: 'Unknown browser on unknown OS' });
    });
  });

  describe('fingerprint', () => {
    it('is a SHA-256 hex digest, not the user agent', () => {
      const { fingerprint } = describeDevice(UA.chromeWindows, {});
      expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(fingerprint).not.toContain('Chrome');
    });

    it('stays the same across browser updates and differs across browsers, systems and device types', () => {
      const fp = (ua: string, hints: Record<string, string> = {}) => describeDevice(ua, hints).fingerprint;
      expect(fp(UA.chromeWindows)).toBe(fp(UA.chromeWindows.replace('142.0.0.0', '142.0.7444.175')));
      expect(fp(UA.chromeWindows)).toBe(fp(UA.chrome90));
      const others = [UA.edgeWindows, UA.firefoxWindows, UA.chromeWindows7, UA.chromeMac, UA.chromeAndroid].map((ua) => fp(ua));
      expect(new Set([fp(UA.chromeWindows), ...others]).size).toBe(6);
      expect(fp(UA.chromeWindows, { ...CHROME_HINTS, 'sec-ch-ua-platform-version': '"15.0.0"' })).not.toBe(fp(UA.chromeWindows));
    });

    it('tells a phone from a desktop by the mobile hint when the user agent does not say', () => {
      const ua = 'Mozilla/5.0 (Linux) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
      expect(describeDevice(ua, { 'sec-ch-ua-mobile': '?1' }).fingerprint).not.toBe(describeDevice(ua, { 'sec-ch-ua-mobile': '?0' }).fingerprint);
    });
  });

  it('lists the client hint headers it reads, lower-case, for Accept-CH', () => {
    expect(CLIENT_HINT_HEADERS).toEqual(['sec-ch-ua', 'sec-ch-ua-full-version-list', 'sec-ch-ua-mobile', 'sec-ch-ua-platform', 'sec-ch-ua-platform-version']);
    for (const header of CLIENT_HINT_HEADERS) expect(header).toBe(header.toLowerCase());
  });
});
