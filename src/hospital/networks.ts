/**
 * IP addresses and CIDR ranges as fixed-width hex, so that "which site network contains this IP"
 * is one lexicographic range comparison on SQLite and PostgreSQL alike.
 *
 * Every address becomes 128 bits written as 32 lower-case hex digits. IPv4 is mapped into
 * ::ffff:0:0/96 (10.20.1.5 → 00000000000000000000ffff0a140105), which is also how a dual-stack
 * socket reports an IPv4 peer (::ffff:10.20.1.5), so both spellings are one address. An IPv6
 * range that would contain that block (::/0 … ::/80, i.e. all of IPv4) is refused: an IPv4
 * address never falls in an IPv6 range, and an IPv6 address never in an IPv4 range.
 */
import { isIP } from 'node:net';

export interface HexRange {
  /** First address of the range, 32 hex digits. */
  start: string;
  /** Last address of the range, 32 hex digits. */
  end: string;
}

export class CidrError extends Error {
  override name = 'CidrError';
}

const MAPPED_PREFIX = '00000000000000000000ffff';

/** 16 bytes of an IPv6 address (embedded dotted IPv4 in the last 32 bits allowed). */
function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  const tail: number[] = [];
  if (text.includes('.')) {
    const cut = text.lastIndexOf(':');
    tail.push(...ipv4Bytes(text.slice(cut + 1)));
    text = `${text.slice(0, cut + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  if (tail.length) bytes.set(tail, 12);
  return bytes;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The address without an IPv6 zone (fe80::1%eth0 → fe80::1): a zone is local to the host. */
function withoutZone(address: string): string {
  const percent = address.indexOf('%');
  return percent < 0 ? address : address.slice(0, percent);
}

/** 128-bit form of an IP address as 32 hex digits (IPv4 mapped into ::ffff:0:0/96); throws CidrError. */
export function ipToHex(ip: string): string {
  const address = withoutZone(ip.trim());
  const family = isIP(address);
  if (family === 4) return MAPPED_PREFIX + toHex(Uint8Array.from(ipv4Bytes(address)));
  if (family === 6) return toHex(ipv6Bytes(address));
  throw new CidrError(`"${ip}" is not an IP address`);
}

/** Canonical text of a 32-hex-digit address: dotted IPv4 when mapped, else RFC 5952 IPv6. */
function hexToText(hex: string): string {
  if (hex.startsWith(MAPPED_PREFIX)) {
    return [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(24 + i, 26 + i), 16)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number.parseInt(hex.slice(4 * i, 4 * i + 4), 16));
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const text = groups.map((g) => g.toString(16));
  if (best.at < 0) return text.join(':');
  return `${text.slice(0, best.at).join(':')}::${text.slice(best.at + best.length).join(':')}`;
}

/** Sets (fill = 'f') or clears (fill = '0') every bit after the first `bits` of a hex address. */
function fillAfter(hex: string, bits: number, fill: '0' | 'f'): string {
  const bytes = Buffer.from(hex, 'hex');
  for (let bit = bits; bit < 128; bit++) {
    const mask = 0x80 >> (bit % 8);
    const index = bit >> 3;
    bytes[index] = fill === 'f' ? bytes[index]! | mask : bytes[index]! & ~mask;
  }
  return bytes.toString('hex');
}

interface ParsedCidr {
  /** Canonical text, e.g. 10.20.0.0/16 or 2001:db8:20::/48. */
  cidr: string;
  range: HexRange;
}

/**
 * Parses an IP range in CIDR notation (a bare address counts as /32 or /128). Refuses host bits set
 * (10.20.1.5/16), prefixes out of range, IPv6 zones and IPv6 ranges that would cover all of IPv4.
 * An IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) is the IPv4 range it maps (10.0.0.0/8).
 */
function parseCidr(input: string): ParsedCidr {
  const text = input.trim();
  const fail = (why: string): never => {
    throw new CidrError(`"${input}" ${why}`);
  };
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const family = address.includes('%') ? 0 : isIP(address);
  if (!family) fail('is not a CIDR range (expected an address and a prefix length, such as 10.20.0.0/16 or 2001:db8::/48)');
  const max = family === 4 ? 32 : 128;
  if (prefixText !== undefined && (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > max)) {
    fail(`is not a CIDR range (the prefix length must be 0 to ${max})`);
  }
  const hex = ipToHex(address);
  // Work on 128 bits: an IPv4 prefix counts from bit 96.
  const bits = (prefixText === undefined ? max : Number(prefixText)) + (family === 4 ? 96 : 0);
  const start = fillAfter(hex, bits, '0');
  const end = fillAfter(hex, bits, 'f');
  // Within ::ffff:0:0/96 the range is an IPv4 range, written and counted as one.
  const mapped = start.startsWith(MAPPED_PREFIX) && bits >= 96;
  const canonical = `${hexToText(start)}/${mapped ? bits - 96 : bits}`;
  if (start !== hex) fail(`has host bits set: the network is ${canonical}`);
  if (!mapped && start <= `${MAPPED_PREFIX}00000000` && end >= `${MAPPED_PREFIX}ffffffff`) {
    fail('would also contain every IPv4 address (it covers ::ffff:0:0/96): list IPv4 and IPv6 networks separately');
  }
  return { cidr: canonical, range: { start, end } };
}

/** The canonical spelling of a CIDR range (lower-case, compressed IPv6, bare address → /32 or /128). */
export function normaliseCidr(cidr: string): string {
  return parseCidr(cidr).cidr;
}

/**
 * The inclusive hex range `[start, end]` of an IP address or CIDR range: an address `a` is in it
 * when `start <= ipToHex(a) <= end`, compared as strings.
 */
export function cidrRange(cidrOrIp: string): HexRange {
  return parseCidr(cidrOrIp).range;
}
