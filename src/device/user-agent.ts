/**
 * The devices port: what a browser says about itself, read with ua-parser-js 1.x and, where the
 * browser sends them, User-Agent Client Hints. Chromium browsers freeze their user agent
 * (Windows NT 10.0 for Windows 11, Mac OS X 10_15_7 for every macOS, "Android 10; K" for every
 * Android), so hints win when present, and a frozen OS version with no hint to correct it is
 * reported as unknown rather than guessed. The fingerprint is a hash of a few stable traits,
 * never of the raw user agent.
 */
import { createHash } from 'node:crypto';
import { UAParser } from 'ua-parser-js';
import type { DeviceInfo } from '../risk/ports.ts';

/**
 * The client hints read here, lower-case. The sign-in page asks for them with Accept-CH (the
 * full version list and platform version are high-entropy: sent only when asked for).
 */
export const CLIENT_HINT_HEADERS = [
  'sec-ch-ua',
  'sec-ch-ua-full-version-list',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-ch-ua-platform-version',
] as const;

type Hints = Record<string, string>;

interface Brand {
  brand: string;
  version: string;
}

/** Chromium's GREASE brands: "Not?A_Brand", "Not_A Brand", "Not)A;Brand" … */
const GREASE = /^Not[^A-Za-z0-9]*A[^A-Za-z0-9]*Brand$/i;

/** Brands as ua-parser-js names the same browsers; any other brand keeps its own name. */
const BRAND_FAMILIES = new Map([
  ['Google Chrome', 'Chrome'],
  ['Microsoft Edge', 'Edge'],
  ['Opera', 'Opera'],
  ['HeadlessChrome', 'Chrome Headless'],
]);

const PLATFORM_NAMES = new Map([
  ['macOS', 'Mac OS'],
  ['Chrome OS', 'Chromium OS'],
]);

/** Markers of clients that are not a person at a browser, in the order they are tried. */
const AUTOMATION: readonly (readonly [RegExp, string])[] = [
  [/Headless\w*/i, 'headless browser'],
  [/PhantomJS/i, 'headless browser'],
  [/Selenium|WebDriver/i, 'browser automation'],
  [/\bcurl\b|\bWget\b|\bHTTPie\b|libwww-perl|PowerShell/i, 'command-line client'],
  [
    /python-requests|Python-urllib|aiohttp|python-httpx|\bhttpx\b|Go-http-client|\bJava\/|Java-http-client|Apache-HttpClient|\bokhttp\b|node-fetch|\baxios\b|\bundici\b|^node$|^Ruby\b|\bScrapy\b/i,
    'scripting library',
  ],
];

/** The strings of a structured-field string (RFC 8941), unescaped; a bare value is taken as is. */
function unquote(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(trimmed);
  const text = quoted ? quoted[1]!.replace(/\\(.)/g, '$1') : trimmed;
  return text === '' ? null : text;
}

/** A Sec-CH-UA brand list: `"Chromium";v="142", "Google Chrome";v="142", "Not_A Brand";v="99"`. Malformed → []. */
export function parseBrandList(value: string | undefined): Brand[] {
  if (!value) return [];
  const item = /\s*"((?:[^"\\]|\\.)*)"\s*;\s*v\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  const brands: Brand[] = [];
  for (;;) {
    const match = item.exec(value);
    if (!match) return [];
    brands.push({ brand: match[1]!.replace(/\\(.)/g, '$1'), version: match[2]!.replace(/\\(.)/g, '$1') });
    if (match[3] === '' || item.lastIndex >= value.length) return brands;
  }
}

/** The brand that names the browser: a known browser over any other, and Chromium only as a last resort. */
function pickBrand(brands: Brand[]): Brand | null {
  const real = brands.filter((b) => !GREASE.test(b.brand));
  const specific = real.filter((b) => b.brand !== 'Chromium');
  return specific.find((b) => BRAND_FAMILIES.has(b.brand)) ?? specific[0] ?? real[0] ?? null;
}

function majorOf(version: string | undefined | null): number | null {
  const match = /^\s*(\d+)/.exec(version ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * Sec-CH-UA-Platform-Version on Windows is the UniversalApiContract version: 13 and above is
 * Windows 11, 1 to 12 Windows 10, and 0.1 / 0.2 / 0.3 are 7 / 8 / 8.1.
 */
function windowsRelease(platformVersion: string): string | null {
  const [major, minor] = platformVersion.split('.').map(Number);
  if (major === undefined || Number.isNaN(major)) return null;
  if (major >= 13) return '11';
  if (major >= 1) return '10';
  return new Map([[1, '7'], [2, '8'], [3, '8.1']]).get(minor ?? -1) ?? null;
}

/** "15.1.0" → "15.1", "14.0.0" → "14". */
const trimVersion = (v: string) => v.replace(/(\.0+)+$/, '');

/** OS versions Chromium, Safari and Firefox freeze in the user agent, whatever the real one is. */
function frozen(osName: string, version: string, userAgent: string): boolean {
  if (osName === 'Mac OS') return version === '10.15.7' || version === '10.15';
  if (osName === 'Android') return /Android 10; K\)/.test(userAgent);
  return false;
}

function operatingSystem(parsed: { name?: string; version?: string }, hints: Hints, userAgent: string): DeviceInfo['os'] {
  const platform = unquote(hints['sec-ch-ua-platform']);
  const hintedName = platform && platform !== 'Unknown' ? (PLATFORM_NAMES.get(platform) ?? platform) : null;
  const name = hintedName ?? parsed.name ?? null;
  if (name === null) return { name: null, version: null };

  const platformVersion = unquote(hints['sec-ch-ua-platform-version']);
  if (platformVersion !== null) {
    return { name, version: name === 'Windows' ? windowsRelease(platformVersion) : trimVersion(platformVersion) };
  }
  // A hinted platform that is not what the user agent says leaves the user agent's version meaningless.
  if (hintedName !== null && hintedName !== parsed.name) return { name, version: null };
  const version = parsed.version ?? null;
  return { name, version: version !== null && !frozen(name, version, userAgent) ? version : null };
}

function automationOf(userAgent: string, brands: Brand[]): string | null {
  if (userAgent.trim() === '') return 'empty user agent';
  for (const [pattern, kind] of AUTOMATION) {
    const match = pattern.exec(userAgent);
    if (match) return `${kind} (${match[0]})`;
  }
  const headless = brands.find((b) => /headless/i.test(b.brand));
  return headless ? `headless browser (${headless.brand} brand)` : null;
}

export function describeDevice(userAgent: string, clientHints: Hints): DeviceInfo {
  const parsed = new UAParser(userAgent).getResult();
  const fullList = parseBrandList(clientHints['sec-ch-ua-full-version-list']);
  const brands = fullList.length > 0 ? fullList : parseBrandList(clientHints['sec-ch-ua']);

  let browser: DeviceInfo['browser'] = { name: parsed.browser.name ?? null, major: majorOf(parsed.browser.version) };
  const hinted = pickBrand(brands);
  // "Chromium" alone (Vivaldi, for one, sends only that) names the engine; the user agent may know better.
  if (hinted && !(hinted.brand === 'Chromium' && browser.name !== null)) {
    browser = { name: BRAND_FAMILIES.get(hinted.brand) ?? hinted.brand, major: majorOf(hinted.version) };
  }

  const os = operatingSystem(parsed.os, clientHints, userAgent);
  const deviceType = parsed.device.type ?? (unquote(clientHints['sec-ch-ua-mobile']) === '?1' ? 'mobile' : 'desktop');
  // Not the browser's major version: browsers update every few weeks, and an update is not a new device.
  const traits = ['wardgate-device-v2', browser.name, os.name, os.version?.split('.')[0] ?? null, deviceType];
  const browserText = browser.name === null ? 'Unknown browser' : browser.major === null ? browser.name : `${browser.name} ${browser.major}`;
  const osText = os.name === null ? 'unknown OS' : os.version === null ? os.name : `${os.name} ${os.version}`;

  return {
    browser,
    os,
    automation: automationOf(userAgent, brands),
    fingerprint: createHash('sha256').update(JSON.stringify(traits)).digest('hex'),
    summary: `${browserText} on ${osText}`,
  };
}
