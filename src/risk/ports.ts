/**
 * What the engine needs from outside, as interfaces. Adapters (database stores, geoip-lite,
 * ua-parser-js) implement them and main.ts wires them in; tests pass fakes. Every port is
 * read-only: evaluating a sign-in never writes anything, so simulation and replay are free of
 * side effects by construction.
 */

export interface ShiftInfo {
  id: string;
  siteId: string;
  /** The site's IANA timezone, for explaining edges in local time. */
  timezone: string;
  start: Date;
  end: Date;
  kind: 'scheduled' | 'on_call';
}

export interface SiteInfo {
  id: string;
  name: string;
  timezone: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  latitude: number | null;
  longitude: number | null;
}

export interface TerminalInfo {
  id: string;
  name: string;
  siteId: string;
  unit: string | null;
  status: 'active' | 'revoked';
}

export interface GeoLocation {
  country: string;
  latitude: number;
  longitude: number;
  /** The lookup's accuracy radius. */
  accuracyKm: number;
}

export interface DeviceInfo {
  browser: { name: string | null; major: number | null };
  os: { name: string | null; version: string | null };
  /** Why this looks like automation (headless browser, command-line client, script), or null. */
  automation: string | null;
  /** A stable hash of the device's traits, never the raw user agent. */
  fingerprint: string;
  /** A short human summary, e.g. "Chrome 142 on Windows 10". */
  summary: string;
}

export interface PastSignIn {
  at: Date;
  country: string | null;
  latitude: number | null;
  longitude: number | null;
  accuracyKm: number | null;
}

export interface FailureCounts {
  /**
   * Failed passwords of this user in the window that count against a sign-in from this address:
   * from the hospital's own networks only failures made there count (a remote attacker cannot
   * raise the risk of a clinician at a ward terminal), from outside every failure counts; failures
   * before a later successful sign-in were reset by it and do not count.
   */
  user: number;
  /** Failed passwords from this IP in the window (a success resets a person, not an address). */
  ip: number;
  /** Distinct usernames this IP failed a password against in the window (refused security keys never count here). */
  distinctUsernamesFromIp: number;
}

export interface RiskPorts {
  shifts: {
    /** The user's shifts that overlap [from, to]. */
    overlapping(userId: string, from: Date, to: Date): Promise<ShiftInfo[]>;
  };
  terminals: {
    /** The terminal holding this credential (active or revoked), or null. */
    identify(credential: string): Promise<TerminalInfo | null>;
  };
  sites: {
    /** The site whose networks contain the IP, or null. */
    containing(ip: string): Promise<SiteInfo | null>;
    /** Every site's country, for the default allowed-country list. */
    countries(): Promise<string[]>;
  };
  geo: {
    /** The place of a public address; null for private and reserved addresses and for ones the database does not know. */
    lookup(ip: string): GeoLocation | null;
  };
  devices: {
    describe(userAgent: string, clientHints: Record<string, string>): DeviceInfo;
  };
  history: {
    /** The user's last successful sign-in before `before`, or null. */
    lastSuccess(userId: string, before: Date): Promise<PastSignIn | null>;
    /** Whether the user signed in from this device fingerprint since `since`. */
    deviceSeen(userId: string, fingerprint: string, since: Date): Promise<boolean>;
  };
  failures: {
    count(query: { userId: string | null; ip: string; since: Date }): Promise<FailureCounts>;
  };
}
