import { AddressClass, classifyAddress } from './address-class';
import { parseIp } from './ip-address';

describe(classifyAddress.name, () => {
  it.each([
    ['8.8.8.8', AddressClass.Public],
    ['1.1.1.1', AddressClass.Public],
    ['2606:4700:4700::1111', AddressClass.Public],
    ['127.0.0.1', AddressClass.Loopback],
    ['127.255.255.254', AddressClass.Loopback],
    ['::1', AddressClass.Loopback],
    ['10.0.0.1', AddressClass.Private],
    ['172.16.0.1', AddressClass.Private],
    ['172.31.255.255', AddressClass.Private],
    ['172.32.0.1', AddressClass.Public],
    ['192.168.1.10', AddressClass.Private],
    ['fc00::1', AddressClass.Private],
    ['fd12:3456::1', AddressClass.Private],
    ['100.64.0.1', AddressClass.Cgnat],
    ['100.127.255.255', AddressClass.Cgnat],
    ['100.128.0.1', AddressClass.Public],
    ['169.254.1.1', AddressClass.LinkLocal],
    ['fe80::1', AddressClass.LinkLocal],
    ['febf::1', AddressClass.LinkLocal],
    ['0.0.0.0', AddressClass.Unspecified],
    ['::', AddressClass.Unspecified],
    ['224.0.0.1', AddressClass.Multicast],
    ['239.255.255.250', AddressClass.Multicast],
    ['ff02::1', AddressClass.Multicast],
    ['169.254.169.254', AddressClass.Metadata],
    ['169.254.170.2', AddressClass.Metadata],
    ['100.100.100.200', AddressClass.Metadata],
    ['fd00:ec2::254', AddressClass.Metadata],
    ['255.255.255.255', AddressClass.Reserved],
    ['240.0.0.1', AddressClass.Reserved],
    ['0.1.2.3', AddressClass.Reserved],
    ['192.0.2.1', AddressClass.Reserved],
    ['198.18.0.1', AddressClass.Reserved],
    ['2001:db8::1', AddressClass.Reserved],
    // IPv4-mapped IPv6, dotted and hex forms, and the fully written form.
    ['::ffff:127.0.0.1', AddressClass.Loopback],
    ['::ffff:7f00:1', AddressClass.Loopback],
    ['0:0:0:0:0:ffff:a00:1', AddressClass.Private],
    ['::ffff:169.254.169.254', AddressClass.Metadata],
    ['::ffff:8.8.8.8', AddressClass.Public],
    ['[::ffff:192.168.0.1]', AddressClass.Private],
    // Translation schemes that embed an IPv4 address.
    ['64:ff9b::a9fe:a9fe', AddressClass.Metadata],
    ['64:ff9b::808:808', AddressClass.Public],
    ['::127.0.0.1', AddressClass.Loopback],
    ['2002:0a00:0001::1', AddressClass.Private],
    ['fe80::1%eth0', AddressClass.LinkLocal],
    // The rest of the IANA IPv4 special-purpose registry.
    ['192.0.0.9', AddressClass.Reserved],
    ['192.31.196.1', AddressClass.Reserved],
    ['192.52.193.1', AddressClass.Reserved],
    ['192.88.99.1', AddressClass.Reserved],
    ['192.175.48.1', AddressClass.Reserved],
    ['198.51.100.7', AddressClass.Reserved],
    ['203.0.113.7', AddressClass.Reserved],
    // The rest of the IANA IPv6 special-purpose registry.
    ['64:ff9b:1::1', AddressClass.Reserved],
    ['100::1', AddressClass.Reserved],
    ['100:0:0:1::1', AddressClass.Reserved],
    ['2001::1', AddressClass.Reserved],
    ['2001:2::1', AddressClass.Reserved],
    ['2001:20::1', AddressClass.Reserved],
    ['2620:4f:8000::1', AddressClass.Reserved],
    ['3fff::1', AddressClass.Reserved],
    ['5f00::1', AddressClass.Reserved],
    ['fec0::1', AddressClass.Reserved],
    // Metadata and instance services of the major clouds.
    ['169.254.169.253', AddressClass.Metadata], // AWS DNS
    ['169.254.169.123', AddressClass.Metadata], // AWS time sync
    ['169.254.170.23', AddressClass.Metadata], // EKS Pod Identity
    ['fd00:ec2::23', AddressClass.Metadata],
    ['fd20:ce::254', AddressClass.Metadata], // GCP IPv6
    ['168.63.129.16', AddressClass.Metadata], // Azure WireServer
    ['192.0.0.192', AddressClass.Metadata], // Oracle Cloud
    ['169.254.0.23', AddressClass.Metadata], // Tencent Cloud
    ['::ffff:168.63.129.16', AddressClass.Metadata],
  ])('classifies %s as %s', (address, expected) => {
    const ip = parseIp(address);

    const sut = classifyAddress(ip!);

    expect(sut).toBe(expected);
  });
});

describe(parseIp.name, () => {
  it.each([
    ['::ffff:127.0.0.1', 4, '127.0.0.1'],
    ['::ffff:7f00:1', 4, '127.0.0.1'],
    ['[::1]', 6, '::1'],
    ['10.1.2.3', 4, '10.1.2.3'],
    ['FE80::1%lo', 6, 'fe80::1'],
  ])('normalises %s to IPv%s %s', (input, family, text) => {
    const sut = parseIp(input);

    expect(sut).toMatchObject({ family, text });
  });

  it.each(['localhost', 'example.com', '1.2.3', '999.1.1.1', ''])('rejects %j', (input) => {
    expect(parseIp(input)).toBeUndefined();
  });
});
