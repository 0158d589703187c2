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
  /** Cloud instance metadata and host services (AWS, GCP, Azure, Oracle, Alibaba, Tencent, ECS/EKS); checked before every other class. */
  Metadata: 'metadata',
  /** The rest of the IANA special-purpose registries: 0/8, 240/4, broadcast, documentation, benchmarking, AS112, 2001::/23, … */
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

// First match wins: metadata sits inside link-local, CGNAT, ULA and special-purpose space, so it
// comes first. Reserved follows the IANA IPv4 and IPv6 Special-Purpose Address Registries
// (the entries the classes above do not already cover); keep it complete when they change.
const Ranges: ReadonlyArray<readonly [AddressClass, readonly Cidr[]]> = [
  [
    AddressClass.Metadata,
    [
      '169.254.169.0/24', // AWS/GCP/Azure/Oracle/DigitalOcean/OpenStack IMDS (.254), AWS DNS (.253), time sync (.123)
      '169.254.170.0/24', // AWS ECS task metadata (.2), EKS Pod Identity (.23)
      '169.254.0.23/32', // Tencent Cloud metadata
      '100.100.100.200/32', // Alibaba Cloud metadata
      '168.63.129.16/32', // Azure WireServer (a public-looking address)
      '192.0.0.192/32', // Oracle Cloud metadata
      'fd00:ec2::/64', // AWS IMDS (::254), DNS (::253), EKS Pod Identity (::23) over IPv6
      'fd20:ce::254/128', // GCP metadata over IPv6
    ].map(cidr),
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
      '0.0.0.0/8', // "this network"
      '192.0.0.0/24', // IETF protocol assignments
      '192.0.2.0/24', // TEST-NET-1
      '192.31.196.0/24', // AS112-v4
      '192.52.193.0/24', // AMT
      '192.88.99.0/24', // deprecated 6to4 relay anycast
      '192.175.48.0/24', // direct delegation AS112
      '198.18.0.0/15', // benchmarking
      '198.51.100.0/24', // TEST-NET-2
      '203.0.113.0/24', // TEST-NET-3
      '240.0.0.0/4', // reserved, and the limited broadcast 255.255.255.255
      '64:ff9b:1::/48', // local-use IPv4/IPv6 translation
      '100::/64', // discard-only
      '100:0:0:1::/64', // dummy IPv6 prefix
      '2001::/23', // IETF protocol assignments (Teredo, benchmarking, AMT, AS112, ORCHID)
      '2001:db8::/32', // documentation
      '2620:4f:8000::/48', // direct delegation AS112
      '3fff::/20', // documentation
      '5f00::/16', // segment routing SIDs
      'fec0::/10', // deprecated site-local
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
