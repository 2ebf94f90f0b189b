/**
 * Which IP addresses a source may never be fetched from: the SSRF rule, as pure functions over the
 * address that will actually be dialled. No DNS and no sockets here, so every range can be tested
 * without sending a packet anywhere.
 *
 * The model is an allow-list in spirit: IPv4 is public unless it falls in one of IANA's
 * special-purpose blocks; IPv6 is public only inside global unicast (2000::/3) and outside its
 * special blocks, and the IPv6 forms that carry an IPv4 address inside them (mapped, NAT64, 6to4,
 * Teredo, ISATAP) are judged by the IPv4 address they carry, as imgproxy's privatenet does.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface ForbiddenAddress {
  /** Which range, in words for a message: "loopback", "IPv4-mapped link-local", … */
  range: string;
  /** A cloud metadata endpoint: refused even when private addresses are allowed. */
  metadata: boolean;
}

type V4 = ipaddr.IPv4;
type V6 = ipaddr.IPv6;

const v4 = (cidr: string, range: string) => ({ net: ipaddr.IPv4.parseCIDR(cidr), range });
const v6 = (cidr: string, range: string) => ({ net: ipaddr.IPv6.parseCIDR(cidr), range });

/** IANA IPv4 special-purpose registry, minus the few blocks that are globally reachable (AS112, AMT). */
const V4_BLOCKS = [
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'carrier-grade NAT'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'IETF protocol assignment'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.88.99.0/24', '6to4 relay anycast'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('255.255.255.255/32', 'broadcast'),
  v4('240.0.0.0/4', 'reserved'),
];

/** Blocks inside 2000::/3 (or next to it) that are not ordinary global unicast. */
const V6_BLOCKS = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  // Deprecated ::a.b.c.d. Nothing legitimate uses it, so it is refused whatever it embeds.
  v6('::/96', 'IPv4-compatible'),
  // RFC 8215 local-use NAT64: local by definition.
  v6('64:ff9b:1::/48', 'NAT64 local-use'),
  v6('100::/64', 'discard-only'),
  v6('2001:2::/48', 'benchmarking'),
  v6('2001:10::/28', 'ORCHID'),
  v6('2001:20::/28', 'ORCHID'),
  v6('2001:db8::/32', 'documentation'),
  v6('3fff::/20', 'documentation'),
  v6('fc00::/7', 'unique-local'),
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'site-local'),
  v6('ff00::/8', 'multicast'),
];

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
const MAPPED = ipaddr.IPv6.parseCIDR('::ffff:0:0/96');
const NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR('2002::/16');
const TEREDO = ipaddr.IPv6.parseCIDR('2001::/32');

/**
 * Instance-metadata and credential endpoints of the clouds. Most sit in ranges refused anyway; they
 * are listed so that `allowPrivateUrls` (meant for a developer's LAN) never opens them, and because
 * two of them (Azure's WireServer, Alibaba's) do not look private at all.
 */
const METADATA_ADDRESSES = new Set(
  [
    '169.254.169.254', // AWS, GCP, Azure, Oracle, DigitalOcean, Hetzner, OpenStack, …
    '169.254.170.2', // AWS ECS task credentials
    '169.254.170.23', // AWS EKS Pod Identity agent
    '169.254.0.23', // Tencent Cloud
    '100.100.100.200', // Alibaba Cloud
    '192.0.0.192', // Oracle Cloud (legacy)
    '168.63.129.16', // Azure WireServer
    'fd00:ec2::254', // AWS IMDS over IPv6
    'fd00:ec2::23', // AWS EKS Pod Identity agent over IPv6
    'fd20:ce::254', // GCP metadata over IPv6
  ].map((a) => ipaddr.parse(a).toNormalizedString()),
);

/** Names that reach a metadata service without looking like an address. Compared lower-case, without a final dot. */
const METADATA_HOST_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.tencentyun.com',
  'instance-data',
  'instance-data.ec2.internal',
]);

export function isMetadataHostName(hostname: string): boolean {
  return METADATA_HOST_NAMES.has(hostname.toLowerCase().replace(/\.$/, ''));
}

/**
 * null when `address` may be fetched from; otherwise the range it falls in. Anything that is not a
 * plain IP address (a name, garbage) is refused: the caller must pass what it will dial.
 */
export function forbiddenRange(address: string): ForbiddenAddress | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // node's isIP is strict (no "127.1", no octal), so only canonical forms get through to ipaddr.
  const ip = parseStrict(bare);
  if (!ip) return { range: 'not an IP address', metadata: false };
  if (METADATA_ADDRESSES.has(ip.toNormalizedString())) return { range: 'cloud metadata', metadata: true };
  return ip.kind() === 'ipv4' ? judgeV4(ip as V4) : judgeV6(ip as V6);
}

/** "a loopback address", "an IPv4-mapped private address": for messages. */
export function describeRange(range: string): string {
  // "an IPv4-mapped …", but "a unique-local …".
  return `${/^(?:[aeio]|u(?!ni))/i.test(range) ? 'an' : 'a'} ${range} address`;
}

export function isForbiddenAddress(address: string): boolean {
  return forbiddenRange(address) !== null;
}

/**
 * node's isIP is strict (no "127.1", no octal), so only canonical forms get through. IPv6 goes
 * through WHATWG's serialiser first: ipaddr.js reads a dotted-quad tail ("::8.8.8.8", which is
 * IPv4-compatible) as IPv4-mapped, and the hex form it is given here has no such ambiguity.
 */
function parseStrict(address: string): V4 | V6 | undefined {
  const kind = isIP(address);
  if (kind === 4) return ipaddr.IPv4.parse(address);
  if (kind !== 6) return undefined;
  // The zone (fe80::1%eth0) does not change the range; WHATWG would not take it.
  const withoutZone = address.split('%')[0] ?? '';
  try {
    return ipaddr.IPv6.parse(new URL(`http://[${withoutZone}]/`).hostname.slice(1, -1));
  } catch {
    return undefined;
  }
}

function judgeV4(ip: V4): ForbiddenAddress | null {
  if (METADATA_ADDRESSES.has(ip.toNormalizedString())) return { range: 'cloud metadata', metadata: true };
  for (const b of V4_BLOCKS) if (ip.match(b.net)) return { range: b.range, metadata: false };
  return null;
}

function judgeV6(ip: V6): ForbiddenAddress | null {
  // A zone id only appears on link-local addresses, which are refused below anyway.
  const embedded = embeddedV4(ip);
  if (embedded) {
    for (const [form, inner] of embedded) {
      const verdict = judgeV4(inner);
      if (verdict) return { range: `${form} ${verdict.range}`, metadata: verdict.metadata };
    }
    // Mapped and NAT64 forms of a public IPv4 address reach that address: allowed like it.
    if (ip.match(MAPPED) || ip.match(NAT64)) return null;
  }
  for (const b of V6_BLOCKS) if (ip.match(b.net)) return { range: b.range, metadata: false };
  if (!ip.match(GLOBAL_UNICAST)) return { range: 'reserved', metadata: false };
  return null;
}

/** The IPv4 addresses an IPv6 address carries, with the name of the form, for the message. */
function embeddedV4(ip: V6): [string, V4][] | null {
  const p = ip.parts as [number, number, number, number, number, number, number, number];
  const quad = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (ip.match(MAPPED)) return [['IPv4-mapped', quad(p[6], p[7])]];
  if (ip.match(NAT64)) return [['NAT64', quad(p[6], p[7])]];
  if (ip.match(SIX_TO_FOUR)) return [['6to4', quad(p[1], p[2])]];
  // Teredo carries the server in bits 32-63 and the client, inverted, in the last 32 bits.
  if (ip.match(TEREDO)) {
    return [
      ['Teredo', quad(p[2], p[3])],
      ['Teredo', quad(~p[6] & 0xffff, ~p[7] & 0xffff)],
    ];
  }
  // ISATAP: any prefix, interface id 0000:5efe:a.b.c.d or 0200:5efe:a.b.c.d.
  if ((p[4] === 0 || p[4] === 0x200) && p[5] === 0x5efe) return [['ISATAP', quad(p[6], p[7])]];
  return null;
}
