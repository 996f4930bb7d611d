/** IP addresses and CIDR ranges as fixed-width hex ranges: one string comparison for both families. */
import { describe, expect, it } from 'vitest';
import { cidrRange, ipToHex, normaliseCidr } from '../../../src/hospital/networks.ts';

const contains = (cidr: string, ip: string) => {
  const { start, end } = cidrRange(cidr);
  const hex = ipToHex(ip);
  return start <= hex && hex <= end;
};

describe('ipToHex', () => {
  it('maps IPv4 into ::ffff:0:0/96 as 32 lower-case hex digits', () => {
    expect(ipToHex('10.20.1.5')).toBe('00000000000000000000ffff0a140105');
    expect(ipToHex('0.0.0.0')).toBe('00000000000000000000ffff00000000');
    expect(ipToHex('255.255.255.255')).toBe('00000000000000000000ffffffffffff');
  });

  it('writes IPv6 in full, whatever the spelling', () => {
    expect(ipToHex('2001:db8::1')).toBe('20010db8000000000000000000000001');
    expect(ipToHex('2001:DB8:0:0:0:0:0:1')).toBe('20010db8000000000000000000000001');
    expect(ipToHex('::')).toBe('0'.repeat(32));
    expect(ipToHex('::1')).toBe(`${'0'.repeat(31)}1`);
    expect(ipToHex('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe('f'.repeat(32));
  });

  it('reads an IPv4-mapped IPv6 address (as a dual-stack socket reports IPv4) as the IPv4 address', () => {
    expect(ipToHex('::ffff:10.20.1.5')).toBe(ipToHex('10.20.1.5'));
    expect(ipToHex('::FFFF:a14:105')).toBe(ipToHex('10.20.1.5'));
  });

  it('ignores an IPv6 zone', () => {
    expect(ipToHex('fe80::1%eth0')).toBe(ipToHex('fe80::1'));
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', 'localhost', '10.20.1', '10.20.1.256', '010.0.0.1', '1::2::3', '10.0.0.0/8']) {
      expect(() => ipToHex(bad), bad).toThrow(`"${bad}" is not an IP address`);
    }
  });
});

describe('normaliseCidr', () => {
  it('spells ranges canonically: compressed lower-case IPv6, IPv4-mapped ranges as IPv4', () => {
    expect(normaliseCidr('10.20.0.0/16')).toBe('10.20.0.0/16');
    expect(normaliseCidr(' 2001:DB8:20:0::/48 ')).toBe('2001:db8:20::/48');
    expect(normaliseCidr('2001:db8:0:0:1:0:0:1/128')).toBe('2001:db8::1:0:0:1/128');
    expect(normaliseCidr('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
  });

  it('reads a bare address as a single-host range (/32 or /128)', () => {
    expect(normaliseCidr('10.20.1.5')).toBe('10.20.1.5/32');
    expect(normaliseCidr('2001:db8::7')).toBe('2001:db8::7/128');
  });

  it('refuses host bits set, naming the range and the network it meant', () => {
    expect(() => normaliseCidr('10.20.1.5/16')).toThrow('"10.20.1.5/16" has host bits set: the network is 10.20.0.0/16');
    expect(() => normaliseCidr('2001:db8::1/64')).toThrow('"2001:db8::1/64" has host bits set: the network is 2001:db8::/64');
    expect(() => normaliseCidr('::ffff:10.1.0.0/104')).toThrow('has host bits set: the network is 10.0.0.0/8');
  });

  it('refuses prefixes out of range and malformed ranges', () => {
    expect(() => normaliseCidr('10.0.0.0/33')).toThrow('"10.0.0.0/33" is not a CIDR range (the prefix length must be 0 to 32)');
    expect(() => normaliseCidr('2001:db8::/129')).toThrow('the prefix length must be 0 to 128');
    for (const bad of ['10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0.0/8/8', 'ten/8', 'fe80::%eth0/64', '10.0.0/8']) {
      expect(() => normaliseCidr(bad), bad).toThrow(`"${bad}" is not a CIDR range`);
    }
  });

  it('refuses an IPv6 range that would cover all of IPv4', () => {
    expect(() => normaliseCidr('::/0')).toThrow('"::/0" would also contain every IPv4 address');
    expect(() => normaliseCidr('::/80')).toThrow('would also contain every IPv4 address');
    expect(normaliseCidr('::/81')).toBe('::/81');
  });
});

describe('cidrRange', () => {
  it('covers /0, /32 and /128 exactly', () => {
    expect(cidrRange('0.0.0.0/0')).toEqual({ start: '00000000000000000000ffff00000000', end: '00000000000000000000ffffffffffff' });
    expect(cidrRange('10.20.1.5/32')).toEqual({ start: ipToHex('10.20.1.5'), end: ipToHex('10.20.1.5') });
    expect(cidrRange('2001:db8::7/128')).toEqual({ start: ipToHex('2001:db8::7'), end: ipToHex('2001:db8::7') });
    expect(cidrRange('8000::/1')).toEqual({ start: `8${'0'.repeat(31)}`, end: 'f'.repeat(32) });
  });

  it('contains the first and last address and nothing beside them', () => {
    expect(contains('10.20.0.0/16', '10.20.0.0')).toBe(true);
    expect(contains('10.20.0.0/16', '10.20.255.255')).toBe(true);
    expect(contains('10.20.0.0/16', '10.19.255.255')).toBe(false);
    expect(contains('10.20.0.0/16', '10.21.0.0')).toBe(false);
    expect(contains('2001:db8:20::/48', '2001:db8:20:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(contains('2001:db8:20::/48', '2001:db8:21::')).toBe(false);
  });

  it('orders nested ranges so that the more specific one starts no earlier and ends no later', () => {
    const wide = cidrRange('10.0.0.0/8');
    const narrow = cidrRange('10.20.0.0/16');
    const host = cidrRange('10.20.1.5/32');
    expect(wide.start <= narrow.start && narrow.start <= host.start).toBe(true);
    expect(host.end <= narrow.end && narrow.end <= wide.end).toBe(true);
    // Fixed width: string order is numeric order.
    expect(ipToHex('9.255.255.255') < ipToHex('10.0.0.0')).toBe(true);
    expect(ipToHex('10.0.0.0') < ipToHex('100.0.0.0')).toBe(true);
  });

  it('never puts an IPv4 address in an IPv6 range, nor an IPv6 address in an IPv4 range', () => {
    for (const v6 of ['::/81', '::/96', '2000::/3', 'fc00::/7', '8000::/1', '64:ff9b::/96']) {
      for (const ip of ['0.0.0.0', '10.20.1.5', '255.255.255.255', '::ffff:10.20.1.5']) expect(contains(v6, ip), `${ip} in ${v6}`).toBe(false);
    }
    for (const v4 of ['0.0.0.0/0', '10.0.0.0/8']) {
      for (const ip of ['::', '::1', '::a14:105', '2001:db8::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '64:ff9b::a14:105']) {
        expect(contains(v4, ip), `${ip} in ${v4}`).toBe(false);
      }
    }
    expect(contains('0.0.0.0/0', '::ffff:10.20.1.5')).toBe(true);
  });
});
