/**
 * Which IP addresses the fetch actor may contact (server-side request forgery defence).
 *
 * Default-deny: only global unicast addresses pass. Everything ipaddr.js classifies as special
 * (loopback, private, link-local, multicast, reserved, …) is refused, and so are IPv6 forms that
 * embed an IPv4 address (IPv4-mapped, IPv4-translated, NAT64, 6to4) whose IPv4 would be refused,
 * because the kernel or a translator turns them back into that IPv4 address.
 * See https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

/** Outcome of checking one address: allowed, or refused with a sentence saying why. */
export type AddressDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: string };

/** A parsed allow-list: CIDR ranges (exact IPs as /32 or /128) and host names. */
export interface AllowList {
  readonly ranges: readonly (readonly [Ip, number])[];
  readonly hosts: ReadonlySet<string>;
}

/** Options for {@link checkAddress}. */
export interface CheckAddressOptions {
  /** Entries permitted despite the policy: CIDRs, exact IPs or host names. Default: none. */
  readonly allowList?: AllowList | readonly string[];
  /** The host name the address was resolved from, matched against host entries of the allow-list. */
  readonly hostname?: string;
}

/**
 * Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack, AWS ECS task metadata, Alibaba,
 * AWS IPv6). They hand out credentials, so a host-name allow-list entry never unlocks them: only a
 * CIDR or IP entry that covers them does.
 */
const METADATA_ADDRESSES: readonly Ip[] = [
  '169.254.169.254',
  '169.254.170.2',
  '100.100.100.200',
  'fd00:ec2::254',
].map((text) => ipaddr.parse(text));

/** Human wording of ipaddr.js range names; any other non-unicast range is named as it is. */
const RANGE_WORDING: Readonly<Record<string, string>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  loopback: 'loopback',
  linkLocal: 'link-local (169.254.0.0/16)',
  private: 'private (RFC 1918)',
  uniqueLocal: 'unique-local (fc00::/7)',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  reserved: 'reserved',
  benchmarking: 'reserved for benchmarking',
  deprecatedSiteLocal: 'site-local (fec0::/10, deprecated)',
  teredo: 'a Teredo tunnel address',
  discard: 'discard-only (100::/64)',
};

/** Parses allow-list entries; throws a RangeError naming an entry that is neither CIDR, IP nor host. */
export function parseAllowList(entries: readonly string[]): AllowList {
  const ranges: (readonly [Ip, number])[] = [];
  const hosts = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const bare = stripBrackets(entry);
    // node:net's isIP is strict (no `127.1` or hex forms), so an entry means what it looks like.
    const [base = '', bits] = bare.split('/');
    if (bits !== undefined && isIP(base) !== 0 && ipaddr.isValidCIDR(bare)) {
      ranges.push(ipaddr.parseCIDR(bare));
    } else if (bits === undefined && isIP(bare) !== 0) {
      const ip = ipaddr.parse(bare);
      ranges.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[a-z0-9.-]+$/i.test(entry) && !/^[0-9.]+$/.test(entry)) {
      hosts.add(normalizeHostname(entry));
    } else {
      throw new RangeError(
        `allow-list entry "${raw}" is not a CIDR (10.0.0.0/8), an IP (::1) or a host name (localhost)`,
      );
    }
  }
  return { ranges, hosts };
}

/** Decides whether `address` (an IP literal, IPv6 with or without brackets) may be contacted. */
export function checkAddress(address: string, options: CheckAddressOptions = {}): AddressDecision {
  const bare = stripBrackets(address);
  if (isIP(bare) === 0) {
    return { allowed: false, reason: `address "${address}" is not an IP address` };
  }
  const ip = ipaddr.parse(bare);
  const refusal = refusalOf(ip);
  if (refusal === null) return { allowed: true };

  const allowList = Array.isArray(options.allowList)
    ? parseAllowList(options.allowList as readonly string[])
    : ((options.allowList as AllowList | undefined) ?? { ranges: [], hosts: new Set<string>() });
  if (inRanges(ip, allowList.ranges)) return { allowed: true };
  const byHost =
    options.hostname !== undefined && allowList.hosts.has(normalizeHostname(options.hostname));
  if (byHost && !isMetadata(ip)) return { allowed: true };
  return { allowed: false, reason: `address ${bare} is ${refusal}` };
}

/** Why `ip` is refused by default, or null when it is a plain global unicast address. */
function refusalOf(ip: Ip): string | null {
  if (isMetadata(ip)) return 'a cloud metadata endpoint';
  if (ip.kind() === 'ipv4') {
    const range = ip.range();
    return range === 'unicast' ? null : wording(range);
  }
  const v6 = ip as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded !== null) {
    const inner = refusalOf(embedded.ipv4);
    return inner === null ? null : `${embedded.form} ${embedded.ipv4.toString()}, which is ${inner}`;
  }
  const range = v6.range();
  if (range === 'unicast') {
    // ::/96 (IPv4-compatible, deprecated) and the rest of ::/8 are unicast to ipaddr.js but
    // reserved by IANA; nothing legitimate lives there.
    return v6.parts[0] === 0 ? 'reserved (::/8)' : null;
  }
  if (range === 'linkLocal') return 'link-local (fe80::/10)';
  if (range === 'rfc6052') return 'a local-use NAT64 address (64:ff9b:1::/48)';
  return wording(range);
}

/** The IPv4 address inside the IPv6 forms that translators or the kernel turn back into IPv4. */
function embeddedIPv4(ip: ipaddr.IPv6): { form: string; ipv4: ipaddr.IPv4 } | null {
  const p = ip.parts;
  const low32 = (hi: number, lo: number): ipaddr.IPv4 =>
    new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (ip.isIPv4MappedAddress()) return { form: 'IPv4-mapped', ipv4: ip.toIPv4Address() };
  if (ip.range() === 'rfc6145') return { form: 'IPv4-translated', ipv4: low32(p[6]!, p[7]!) };
  // Well-known NAT64 prefix 64:ff9b::/96 (RFC 6052): the last 32 bits are the IPv4 destination.
  if (ip.match(NAT64_WELL_KNOWN)) return { form: 'NAT64', ipv4: low32(p[6]!, p[7]!) };
  // 6to4 2002:AABB:CCDD::/48 (RFC 3056) carries the IPv4 relay address in bits 16–47.
  if (ip.range() === '6to4') return { form: '6to4', ipv4: low32(p[1]!, p[2]!) };
  return null;
}

const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/** True for a metadata endpoint, also when written inside an IPv6 form that embeds it. */
function isMetadata(ip: Ip): boolean {
  const same = (candidate: Ip): boolean =>
    METADATA_ADDRESSES.some(
      (meta) => meta.kind() === candidate.kind() && meta.toNormalizedString() === candidate.toNormalizedString(),
    );
  if (same(ip)) return true;
  const embedded = ip.kind() === 'ipv6' ? embeddedIPv4(ip as ipaddr.IPv6) : null;
  return embedded !== null && same(embedded.ipv4);
}

function inRanges(ip: Ip, ranges: AllowList['ranges']): boolean {
  // An IPv4-mapped IPv6 address is matched by IPv4 entries too, so `127.0.0.1/32` covers
  // `::ffff:127.0.0.1`.
  const candidates: Ip[] = [ip];
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    candidates.push((ip as ipaddr.IPv6).toIPv4Address());
  }
  return ranges.some(([base, bits]) =>
    candidates.some((candidate) => candidate.kind() === base.kind() && candidate.match(base, bits)),
  );
}

function wording(range: string): string {
  return RANGE_WORDING[range] ?? `special-purpose (${range})`;
}

function stripBrackets(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

function normalizeHostname(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}
