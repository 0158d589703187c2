import { AddressClass, classifyAddress } from './address-class';
import { AllowList, InvalidAllowListError } from './allow-list';
import { parseIp } from './ip-address';

const allows = (list: AllowList, address: string): boolean => {
  const ip = parseIp(address)!;
  return list.allows(ip, classifyAddress(ip));
};

describe(AllowList.name, () => {
  it.each([
    ['', '8.8.8.8', true],
    ['', '127.0.0.1', false],
    ['loopback', '127.0.0.1', true],
    ['loopback', '::1', true],
    ['loopback', '::ffff:127.0.0.1', true],
    ['loopback', '10.0.0.1', false],
    ['private', '192.168.1.1', true],
    ['private', '100.64.0.1', false],
    ['link-local', '169.254.169.254', false],
    ['private', 'fd00:ec2::254', false],
    ['metadata', '169.254.169.254', true],
    ['10.1.0.0/16', '10.1.200.3', true],
    ['10.1.0.0/16', '10.2.0.1', false],
    ['10.1.2.3', '10.1.2.3', true],
    ['169.254.169.254/32', '169.254.169.254', true],
    // A network that merely contains a metadata endpoint never opens it: only the keyword or the exact address does.
    ['169.254.0.0/16', '169.254.169.254', false],
    ['fd00::/8', 'fd00:ec2::254', false],
    ['100.64.0.0/10', '100.100.100.200', false],
    ['100.64.0.0/10', '100.64.1.1', true],
    ['metadata', 'fd00:ec2::254', true],
    ['fd00:ec2::254/128', 'fd00:ec2::254', true],
    ['fd12::/16', 'fd12:abcd::1', true],
    ['::ffff:10.0.0.0/104', '10.9.9.9', true],
    ['loopback, 10.1.0.0/16  private', '172.16.0.1', true],
  ])('with %j, %s allowed is %s', (setting, address, expected) => {
    const sut = AllowList.parse(setting);

    expect(allows(sut, address)).toBe(expected);
  });

  it('accepts a list of entries and keeps them for logs', () => {
    const sut = AllowList.parse(['LOOPBACK', '10.0.0.0/8']);

    expect(sut.entries).toEqual(['LOOPBACK', '10.0.0.0/8']);
    expect(sut.allows(parseIp('127.0.0.1')!, AddressClass.Loopback)).toBe(true);
  });

  it.each(['intranet', '10.0.0.0/33', '10.0.0/8', 'fd00::/129'])('rejects %j naming the setting', (entry) => {
    const act = () => AllowList.parse(`loopback,${entry}`);

    expect(act).toThrow(InvalidAllowListError);
    expect(act).toThrow(/NOTIFIER_ALLOWED_DESTINATIONS/);
  });
});
