import { cidr, cidrContains, embeddedIpv4, type Cidr, type IpAddress } from './ip-address';

/**
 * What kind of network an address belongs to. Every class but `public` is refused as a
 * delivery destination unless the allow-list names it (the values double as allow-list keywords).
 */
export const AddressClass = {
  /** Routable on the internet; always allowed. */
  Public: 'public',
  /** 127.0.0.0/8, ::1. */
  Loopback: 'loopback',
  /** RFC 1918 (10/8, 172.16/12, 192.168/16) and unique-local fc00::/7. */
  Private: 'private',
  /** Carrier-grade NAT shared space 100.64.0.0/10 (RFC 6598). */
  Cgnat: 'cgnat',
  /** 169.254.0.0/16, fe80::/10. */
  LinkLocal: 'link-local',
  /** 0.0.0.0, :: (connects to the local host on most systems). */
  Unspecified: 'unspecified',
  /** 224.0.0.0/4, ff00::/8. */
  Multicast: 'multicast',
  /** Cloud instance metadata endpoints (AWS, GCP, Azure, Alibaba, ECS); checked before every other class. */
  Metadata: 'metadata',
  /** Special-purpose ranges that are never a real receiver: 0/8, 240/4, broadcast, documentation, benchmarking. */
  Reserved: 'reserved',
} as const;
export type AddressClass = (typeof AddressClass)[keyof typeof AddressClass];

/** Human wording of each class, for error messages. */
export const AddressClassLabel: Record<AddressClass, string> = {
  public: 'public address',
  loopback: 'loopback address',
  private: 'private network address',
  cgnat: 'carrier-grade NAT (100.64.0.0/10) address',
  'link-local': 'link-local address',
  unspecified: 'unspecified address',
  multicast: 'multicast address',
  metadata: 'cloud metadata service address',
  reserved: 'reserved special-purpose address',
};

// First match wins: metadata sits inside link-local, CGNAT and ULA, so it comes first.
const Ranges: ReadonlyArray<readonly [AddressClass, readonly Cidr[]]> = [
  [
    AddressClass.Metadata,
    ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32', 'fd00:ec2::254/128'].map(cidr),
  ],
  [AddressClass.Unspecified, ['0.0.0.0/32', '::/128'].map(cidr)],
  [AddressClass.Loopback, ['127.0.0.0/8', '::1/128'].map(cidr)],
  [AddressClass.Private, ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'].map(cidr)],
  [AddressClass.Cgnat, ['100.64.0.0/10'].map(cidr)],
  [AddressClass.LinkLocal, ['169.254.0.0/16', 'fe80::/10'].map(cidr)],
  [AddressClass.Multicast, ['224.0.0.0/4', 'ff00::/8'].map(cidr)],
  [
    AddressClass.Reserved,
    [
      '0.0.0.0/8',
      '192.0.0.0/24',
      '192.0.2.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '240.0.0.0/4',
      '100::/64',
      '2001:db8::/32',
      'fec0::/10',
    ].map(cidr),
  ],
];

/**
 * Classifies an address. IPv6 forms that embed an IPv4 address (NAT64, IPv4-compatible, 6to4)
 * take the class of the embedded address when that is not public, so `64:ff9b::a9fe:a9fe`
 * counts as metadata.
 */
export function classifyAddress(ip: IpAddress): AddressClass {
  const direct = lookupClass(ip);
  if (direct !== AddressClass.Public) return direct;
  const inner = embeddedIpv4(ip);
  return inner ? lookupClass(inner) : direct;
}

function lookupClass(ip: IpAddress): AddressClass {
  for (const [cls, ranges] of Ranges) {
    for (const range of ranges) if (cidrContains(range, ip)) return cls;
  }
  return AddressClass.Public;
}
