/**
 * Generated hospital data for bench/risk.ts: sites with their networks, users, terminals (with the
 * raw credentials kept in memory so that contexts can present them), shifts, sign-in history and
 * failed attempts, and the sign-in contexts to decide. The same data set goes into every database
 * of one run; the layout follows a seeded generator around a fixed instant, so runs are comparable
 * (ids and credentials are random).
 *
 * Time is laid out as a running system sees it: history and failed attempts lie before `at`, the
 * decisions in the 12 hours after it (the ports' windowed queries have no upper bound, since a
 * live database holds no rows from the future), and shifts run from five days before to five after.
 *
 * Rows are written directly with knex, in batches inside one transaction, in the stores' row
 * formats; network ranges come from hospital/networks.ts as the site service computes them.
 */
import crypto from 'node:crypto';
import { usernameKey } from '../src/accounts/usernames.ts';
import { describeDevice } from '../src/device/user-agent.ts';
import { createGeoLookup } from '../src/geo/geoip.ts';
import { cidrRange, normaliseCidr } from '../src/hospital/networks.ts';
import { hashToken, newToken } from '../src/crypto/tokens.ts';
import type { RiskContext } from '../src/risk/types.ts';
import { isPostgres, type Db } from '../src/store/db.ts';
import type { FailedAttemptRow } from '../src/store/failed-attempts.ts';
import type { ShiftRow } from '../src/store/shifts.ts';
import type { HistoryRow } from '../src/store/sign-in-history.ts';
import type { SiteNetworkRow } from '../src/store/site-networks.ts';
import type { SiteRow } from '../src/store/sites.ts';
import type { TerminalRow } from '../src/store/terminals.ts';
import type { UserRow } from '../src/store/users.ts';

const SIZES = { sites: 100, networksPerSite: 10, users: 10_000, terminals: 5_000, shiftsPerUser: 10, historyPerUser: 10, failures: 20_000, attackerFailures: 14_000 };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** mulberry32: small, fast, seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
export const int = (random: Random, n: number) => Math.floor(random() * n);
export const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;
export function weighted<T>(random: Random, choices: readonly (readonly [number, T])[]): T {
  let r = random() * choices.reduce((sum, [w]) => sum + w, 0);
  for (const [w, value] of choices) if ((r -= w) < 0) return value;
  return choices[choices.length - 1]![1];
}

/** Browsers that sign in, with the client hints Chromium sends after Accept-CH. */
export const DEVICES: readonly { weight: number; userAgent: string; clientHints: Record<string, string> }[] = [
  {
    weight: 40,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
    clientHints: {
      'sec-ch-ua': '"Chromium";v="142", "Google Chrome";v="142", "Not_A Brand";v="99"',
      'sec-ch-ua-full-version-list': '"Chromium";v="142.0.7444.60", "Google Chrome";v="142.0.7444.60", "Not_A Brand";v="99.0.0.0"',
      'sec-ch-ua-mobile': '?0',
      'sec-ch-ua-platform': '"Windows"',
      'sec-ch-ua-platform-version': '"15.0.0"',
    },
  },
  {
    weight: 20,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0',
    clientHints: {
      'sec-ch-ua': '"Microsoft Edge";v="141", "Not?A_Brand";v="8", "Chromium";v="141"',
      'sec-ch-ua-mobile': '?0',
      'sec-ch-ua-platform': '"Windows"',
      'sec-ch-ua-platform-version': '"10.0.0"',
    },
  },
  { weight: 10, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0', clientHints: {} },
  { weight: 8, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', clientHints: {} },
  { weight: 8, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', clientHints: {} },
  {
    weight: 6,
    userAgent: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36',
    clientHints: { 'sec-ch-ua': '"Chromium";v="142", "Google Chrome";v="142", "Not_A Brand";v="99"', 'sec-ch-ua-mobile': '?1', 'sec-ch-ua-platform': '"Android"', 'sec-ch-ua-platform-version': '"14.0.0"' },
  },
  { weight: 6, userAgent: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36', clientHints: {} },
  { weight: 2, userAgent: 'curl/8.5.0', clientHints: {} },
];

/** Public addresses the geolocation database places in GB and in the US, and a noisy source. */
export const PUBLIC_GB = ['81.2.69.142', '212.58.244.20', '2.24.0.1', '5.62.0.1'] as const;
export const PUBLIC_US = ['8.8.8.8', '151.101.1.1'] as const;
export const ATTACKER_IP = '45.155.205.233';

const CLIENTS: readonly (readonly [number, RiskContext['client']])[] = [
  [70, { id: 'ehr', sensitivity: 'standard' }],
  [20, { id: 'rota', sensitivity: 'standard' }],
  [10, { id: 'prescribing', sensitivity: 'high' }],
];

export interface BenchTerminal {
  row: TerminalRow;
  /** The raw credential a browser would present; null while pending. */
  credential: string | null;
}

export interface BenchData {
  /** The instant the data is centred on: shifts run ±5 days around it, history and failures before it. */
  at: number;
  sites: SiteRow[];
  networks: SiteNetworkRow[];
  users: UserRow[];
  terminals: BenchTerminal[];
  shifts: ShiftRow[];
  history: HistoryRow[];
  failures: FailedAttemptRow[];
}

/**
 * The networks of site i: seven private /19s in 10.i.0.0/16, a /24 in 172.16.0.0/12, an IPv6 ULA
 * /32 and a public egress /29 (GB).
 */
function siteNetworks(i: number): string[] {
  return [
    ...Array.from({ length: 7 }, (_, j) => `10.${i}.${j * 32}.0/19`),
    `172.${16 + (i % 16)}.${i}.0/24`,
    `fd00:${i.toString(16)}::/32`,
    `86.1.${i}.0/29`,
  ];
}

/** A random address inside a network row's range (both ends included). */
function addressIn(random: Random, network: SiteNetworkRow): string {
  const start = BigInt(`0x${network.range_start}`);
  const size = BigInt(`0x${network.range_end}`) - start + 1n;
  // Two 32-bit draws are plenty: the offset only has to land somewhere inside.
  const offset = ((BigInt(int(random, 2 ** 32)) << 32n) | BigInt(int(random, 2 ** 32))) % size;
  const hex = (start + offset).toString(16).padStart(32, '0');
  if (hex.startsWith('00000000000000000000ffff')) return [24, 26, 28, 30].map((k) => Number.parseInt(hex.slice(k, k + 2), 16)).join('.');
  return Array.from({ length: 8 }, (_, k) => hex.slice(4 * k, 4 * k + 4)).join(':');
}

/** The instant the generated data is centred on (a fixed one, so the shift mix does not follow the clock). */
const DATA_AT = Date.parse('2026-11-30T10:30:00Z');

export function generateData(seed = 1, at = DATA_AT): BenchData {
  const random = seededRandom(seed);
  const geo = createGeoLookup();
  const fingerprints = DEVICES.map((d) => describeDevice(d.userAgent, d.clientHints).fingerprint);

  const sites: SiteRow[] = Array.from({ length: SIZES.sites }, (_, i) => {
    const ireland = i % 10 === 9;
    return {
      id: `site-${String(i).padStart(3, '0')}`,
      name: `Bench Hospital ${i}`,
      timezone: ireland ? 'Europe/Dublin' : 'Europe/London',
      country: ireland ? 'IE' : 'GB',
      latitude: ireland ? 53.35 + random() : 50.5 + random() * 4,
      longitude: ireland ? -6.26 - random() : -3 + random() * 3,
      created_at: at,
      updated_at: at,
    };
  });
  const networks: SiteNetworkRow[] = sites.flatMap((site, i) =>
    siteNetworks(i).map((cidr) => {
      const range = cidrRange(cidr);
      return { site_id: site.id, cidr: normaliseCidr(cidr), range_start: range.start, range_end: range.end };
    }),
  );

  const users: UserRow[] = Array.from({ length: SIZES.users }, (_, i) => {
    const username = `bench.user${String(i).padStart(5, '0')}`;
    return {
      id: crypto.randomUUID(), username, username_key: usernameKey(username), display_name: `Bench User ${i}`,
      email: null, roles: '[]', fhir_user: null, password_hash: null, disabled: false, created_at: at, updated_at: at,
    };
  });

  const terminals: BenchTerminal[] = Array.from({ length: SIZES.terminals }, (_, i) => {
    const status = weighted(random, [[96, 'active'], [2, 'revoked'], [2, 'pending']] as const);
    const credential = status === 'pending' ? null : newToken();
    return {
      credential,
      row: {
        id: crypto.randomUUID(),
        name: `Ward PC ${i}`,
        site_id: sites[i % SIZES.sites]!.id,
        unit: `Ward ${1 + (i % 40)}`,
        status,
        credential_hash: credential === null ? null : hashToken(credential),
        enrollment_hash: status === 'pending' ? hashToken(newToken()) : null,
        enrollment_expires_at: status === 'pending' ? at + DAY : null,
        enrolled_at: status === 'pending' ? null : at - 30 * DAY,
        last_seen_at: null,
        created_at: at - 31 * DAY,
        updated_at: at,
      },
    };
  });

  // Ten shifts a person over the ten days around `at`: day workers, night workers (crossing
  // midnight) and people who alternate; one shift in ten is on call, one in ten at another site.
  const midnight = at - (at % DAY);
  const shifts: ShiftRow[] = users.flatMap((user, u) =>
    Array.from({ length: SIZES.shiftsPerUser }, (_, k) => {
      const day = midnight + (k - 5) * DAY;
      const night = u % 3 === 1 || (u % 3 === 2 && k % 2 === 1);
      const onCall = random() < 0.1;
      const start = day + (night ? 19 : 7) * HOUR + (int(random, 5) - 2) * 30 * MINUTE;
      const length = onCall ? 24 * HOUR : (8 + int(random, 5)) * HOUR;
      const site = random() < 0.1 ? int(random, SIZES.sites) : u % SIZES.sites;
      return {
        id: crypto.randomUUID(), user_id: user.id, site_id: sites[site]!.id, starts_at: start, ends_at: start + length,
        kind: onCall ? 'on_call' : 'scheduled', external_id: null, created_at: at, updated_at: at,
      } satisfies ShiftRow;
    }),
  );

  // History over the 120 days before `at`: mostly on the wards (no place), some from GB and US
  // addresses with their coordinates.
  const history: HistoryRow[] = users.flatMap((user) =>
    Array.from({ length: SIZES.historyPerUser }, () => {
      const where = weighted(random, [[60, 'ward'], [30, 'gb'], [10, 'us']] as const);
      const ip = where === 'ward' ? `10.${int(random, SIZES.sites)}.${int(random, 224)}.${1 + int(random, 254)}` : pick(random, where === 'gb' ? PUBLIC_GB : PUBLIC_US);
      const place = where === 'ward' ? null : geo.lookup(ip);
      return {
        user_id: user.id,
        at: at - 120 * DAY + int(random, 120 * DAY),
        ip,
        country: place?.country ?? null,
        latitude: place?.latitude ?? null,
        longitude: place?.longitude ?? null,
        accuracy_km: place?.accuracyKm ?? null,
        device_hash: fingerprints[int(random, 3)]!,
        outcome: weighted(random, [[80, 'success'], [15, 'step_up'], [5, 'deny']] as const),
      } satisfies HistoryRow;
    }),
  );

  // Failed passwords over the 7 days before `at`: a background of mistakes, and one source spraying
  // usernames often enough (~20 in 15 minutes) that its window is full when it is decided on.
  const span = 7 * DAY;
  const failure = (ip: string): FailedAttemptRow => {
    const user = random() < 0.9 ? pick(random, users) : null;
    return {
      at: at - span + int(random, span),
      ip,
      username_key: user ? user.username_key : `nobody${int(random, 1000)}`,
      user_id: user?.id ?? null,
      zone: ip.startsWith('10.') ? 'on_premises' : 'remote',
      kind: 'password',
      pending: false,
      cleared_at: null,
    };
  };
  const failures: FailedAttemptRow[] = [
    ...Array.from({ length: SIZES.failures }, () =>
      failure(random() < 0.5 ? `10.${int(random, SIZES.sites)}.${int(random, 224)}.${1 + int(random, 254)}` : pick(random, [...PUBLIC_GB, ...PUBLIC_US])),
    ),
    ...Array.from({ length: SIZES.attackerFailures }, () => failure(ATTACKER_IP)),
  ];

  return { at, sites, networks, users, terminals, shifts, history, failures };
}

export function rowCount(data: BenchData): number {
  return data.sites.length + data.networks.length + data.users.length + data.terminals.length + data.shifts.length + data.history.length + data.failures.length;
}

/**
 * Writes rows, table after table, in one transaction. SQLite builds a multi-row insert as a
 * compound SELECT (at most 500 terms), so its batches are smaller; PostgreSQL's are bounded by
 * 65,535 parameters. On PostgreSQL the tables are vacuumed and analysed afterwards, as autovacuum
 * would do after such a load (left to autovacuum, that work would land in the measurements).
 */
export async function insertBatches(db: Db, tables: readonly (readonly [string, readonly object[]])[]): Promise<void> {
  const batch = isPostgres(db) ? 1000 : 400;
  await db.transaction(async (trx) => {
    for (const [table, rows] of tables) {
      for (let i = 0; i < rows.length; i += batch) await trx(table).insert(rows.slice(i, i + batch));
    }
  });
  if (isPostgres(db)) await db.raw(`vacuum analyze ${tables.map(([t]) => t).join(', ')}`);
}

/** Writes the data set in one transaction. */
export async function insertData(db: Db, data: BenchData): Promise<void> {
  await insertBatches(db, [
    ['sites', data.sites],
    ['site_networks', data.networks],
    ['users', data.users],
    ['terminals', data.terminals.map((t) => t.row)],
    ['shifts', data.shifts],
    ['sign_in_history', data.history],
    ['failed_attempts', data.failures],
  ]);
}

/**
 * Sign-in contexts over random users, terminals and addresses, at random instants in the 12 hours
 * after the data's centre (the spraying source within 5 minutes of it, while its attempts are
 * recent): half on the wards (an address in a site network, mostly with a terminal credential),
 * the rest from GB and US public addresses, private addresses outside every site, and the
 * spraying source.
 */
export function generateContexts(data: BenchData, count: number, seed = 2): RiskContext[] {
  const random = seededRandom(seed);
  const withCredential = data.terminals.filter((t) => t.credential !== null);
  return Array.from({ length: count }, () => {
    const user = pick(random, data.users);
    const where = weighted(random, [[50, 'ward'], [20, 'gb'], [8, 'us'], [20, 'private'], [2, 'attacker']] as const);
    const ip =
      where === 'ward' ? addressIn(random, pick(random, data.networks))
      : where === 'gb' ? pick(random, PUBLIC_GB)
      : where === 'us' ? pick(random, PUBLIC_US)
      : where === 'private' ? (random() < 0.5 ? `192.168.${int(random, 256)}.${1 + int(random, 254)}` : `10.${200 + int(random, 50)}.${int(random, 256)}.${1 + int(random, 254)}`)
      : ATTACKER_IP;
    const credential = weighted(random, [
      [where === 'ward' ? 80 : 5, 'terminal'],
      [3, 'unknown'],
      [where === 'ward' ? 17 : 92, 'none'],
    ] as const);
    const device = weighted(random, DEVICES.map((d) => [d.weight, d] as const));
    const context: RiskContext = {
      user: { id: user.id, username: user.username },
      ip,
      userAgent: device.userAgent,
      clientHints: device.clientHints,
      client: weighted(random, CLIENTS),
      requestedAcr: random() < 0.05 ? ['phr'] : [],
      at: new Date(data.at + int(random, where === 'attacker' ? 5 * MINUTE : 12 * HOUR)),
    };
    if (credential === 'terminal') context.terminalCredential = pick(random, withCredential).credential!;
    if (credential === 'unknown') context.terminalCredential = crypto.randomBytes(32).toString('base64url');
    return context;
  });
}
