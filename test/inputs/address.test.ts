/**
 * The address rule as a pure function: every range decided without a packet sent anywhere.
 */
import { describe, expect, it } from 'vitest';
import { describeRange, forbiddenRange, isForbiddenAddress, isMetadataHostName } from '../../src/inputs/address.js';

describe('forbiddenRange', () => {
  const refused: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['169.254.0.1', 'link-local'],
    ['192.0.0.8', 'IETF protocol assignment'],
    ['192.0.2.55', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // Cloud metadata, all named as such.
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.170.2', 'cloud metadata'],
    ['169.254.170.23', 'cloud metadata'],
    ['169.254.0.23', 'cloud metadata'],
    ['100.100.100.200', 'cloud metadata'],
    ['192.0.0.192', 'cloud metadata'],
    ['168.63.129.16', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fd00:ec2::23', 'cloud metadata'],
    ['fd20:ce::254', 'cloud metadata'],
    // IPv6 itself.
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['ff05::2', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001:2::1', 'benchmarking'],
    ['2001:10::1', 'ORCHID'],
    ['2001:20::1', 'ORCHID'],
    ['100::1', 'discard-only'],
    ['64:ff9b:1::a00:1', 'NAT64 local-use'],
    ['4000::1', 'reserved'],
    ['::1:2:3:4:5', 'reserved'],
    // IPv4 hidden in IPv6.
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:10.1.2.3', 'IPv4-mapped private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped cloud metadata'],
    ['::ffff:100.64.1.1', 'IPv4-mapped carrier-grade NAT'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::8.8.8.8', 'IPv4-compatible'],
    ['64:ff9b::127.0.0.1', 'NAT64 loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 cloud metadata'],
    ['64:ff9b::192.168.0.1', 'NAT64 private'],
    ['2002:7f00:0001::', '6to4 loopback'],
    ['2002:a9fe:a9fe::1', '6to4 cloud metadata'],
    ['2002:c0a8:0101::1', '6to4 private'],
    // Teredo: server 65.54.227.120, client ~(80ff:fffe) = 127.0.0.1.
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo loopback'],
    // Teredo with a private server part.
    ['2001:0:a00:1::1', 'Teredo private'],
    // ISATAP interface ids carrying private IPv4.
    ['2a00:1450::5efe:a00:1', 'ISATAP private'],
    ['2a00:1450::200:5efe:c0a8:101', 'ISATAP private'],
    // Not an address at all: refused, the caller must pass what it dials.
    ['localhost', 'not an IP address'],
    ['127.1', 'not an IP address'],
    ['0177.0.0.1', 'not an IP address'],
    ['2130706433', 'not an IP address'],
    ['', 'not an IP address'],
  ];
  for (const [address, range] of refused) {
    it(`refuses ${address || '(empty)'} as ${range}`, () => {
      expect(forbiddenRange(address)?.range).toBe(range);
      expect(isForbiddenAddress(address)).toBe(true);
    });
  }

  it('marks metadata addresses as metadata, and only those', () => {
    expect(forbiddenRange('169.254.169.254')?.metadata).toBe(true);
    expect(forbiddenRange('::ffff:169.254.169.254')?.metadata).toBe(true);
    expect(forbiddenRange('64:ff9b::a9fe:a9fe')?.metadata).toBe(true);
    expect(forbiddenRange('169.254.1.1')?.metadata).toBe(false);
    expect(forbiddenRange('10.0.0.1')?.metadata).toBe(false);
  });

  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '100.63.255.255', // just below CGNAT
    '100.128.0.0', // just above CGNAT
    '172.15.255.255',
    '172.32.0.0',
    '169.253.255.255',
    '192.0.1.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82b::200e',
    '::ffff:8.8.8.8', // mapped public: reaches 8.8.8.8
    '64:ff9b::8.8.8.8', // NAT64 of a public address (DNS64 networks)
    '2002:808:808::1', // 6to4 of a public address
  ];
  for (const address of allowed) {
    it(`allows ${address}`, () => {
      expect(forbiddenRange(address)).toBeNull();
    });
  }

  it('accepts bracketed IPv6 literals as written in URLs', () => {
    expect(forbiddenRange('[::1]')?.range).toBe('loopback');
  });
});

describe('metadata host names', () => {
  it.each(['metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', 'metadata', 'metadata.goog', 'instance-data'])('refuses %s', (name) => {
    expect(isMetadataHostName(name)).toBe(true);
  });
  it('leaves other names to resolution', () => {
    expect(isMetadataHostName('metadata.example.com')).toBe(false);
  });
});

describe('describeRange', () => {
  it('words the range with the right article', () => {
    expect(describeRange('loopback')).toBe('a loopback address');
    expect(describeRange('IPv4-mapped private')).toBe('an IPv4-mapped private address');
    expect(describeRange('unspecified')).toBe('an unspecified address');
    expect(describeRange('unique-local')).toBe('a unique-local address');
  });
});
