import { AddressClass } from './address-class';
import { AllowList } from './allow-list';
import {
  checkDestination,
  DestinationErrorCode,
  DestinationRefusedError,
  DestinationUnresolvedError,
  type HostResolver,
} from './destination-guard';

/** A resolver answering from a table and counting queries. */
const fakeResolver = (table: Record<string, string[]>): HostResolver & { calls: string[] } => {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
};

describe(checkDestination.name, () => {
  const none = AllowList.none();

  it('accepts a public host, resolving it once and pinning the first address', async () => {
    const resolve = fakeResolver({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'] });

    const sut = await checkDestination('https://hooks.example.com/in?x=1', none, resolve);

    expect(sut).toMatchObject({
      hostname: 'hooks.example.com',
      address: '93.184.216.34',
      family: 4,
      literal: false,
      addressClass: AddressClass.Public,
    });
    expect(resolve.calls).toEqual(['hooks.example.com']);
  });

  it.each([
    ['http://127.0.0.1:8080/x', '127.0.0.1'],
    ['http://[::1]/x', '::1'],
    ['http://[::ffff:127.0.0.1]/x', '127.0.0.1'],
    ['http://2130706433/x', '127.0.0.1'],
    ['http://0x7f.1/x', '127.0.0.1'],
  ])('never asks DNS for the IP literal %s', async (url, address) => {
    const resolve = fakeResolver({});

    const sut = await checkDestination(url, AllowList.parse('loopback'), resolve);

    expect(sut.address).toBe(address);
    expect(sut.literal).toBe(true);
    expect(resolve.calls).toEqual([]);
  });

  it.each([
    ['http://127.0.0.1/', AddressClass.Loopback],
    ['http://[::ffff:7f00:1]/', AddressClass.Loopback],
    ['http://10.0.0.5/', AddressClass.Private],
    ['http://100.64.1.1/', AddressClass.Cgnat],
    ['http://169.254.169.254/latest/meta-data/', AddressClass.Metadata],
    ['http://[fd00:ec2::254]/', AddressClass.Metadata],
    ['http://[fe80::1]/', AddressClass.LinkLocal],
    ['http://0.0.0.0/', AddressClass.Unspecified],
    ['http://224.0.0.1/', AddressClass.Multicast],
  ])('refuses %s as %s, naming the class and the setting', async (url, cls) => {
    const act = checkDestination(url, none, fakeResolver({}));

    await expect(act).rejects.toBeInstanceOf(DestinationRefusedError);
    await expect(act).rejects.toMatchObject({
      code: DestinationErrorCode.AddressRefused,
      details: { addressClass: cls },
    });
    await expect(act).rejects.toThrow(/NOTIFIER_ALLOWED_DESTINATIONS/);
  });

  it('refuses a host when any of its addresses is refused', async () => {
    const resolve = fakeResolver({ 'mixed.example.com': ['93.184.216.34', '10.0.0.7'] });

    const act = checkDestination('https://mixed.example.com/', none, resolve);

    await expect(act).rejects.toThrow(/mixed\.example\.com \(resolves to 10\.0\.0\.7\).*private network/);
  });

  it('keeps metadata refused when link-local is allowed', async () => {
    const act = checkDestination('http://169.254.169.254/', AllowList.parse('link-local'), fakeResolver({}));

    await expect(act).rejects.toThrow(/cloud metadata/);
  });

  it.each([
    ['ftp://example.com/x', DestinationErrorCode.BadScheme],
    ['file:///etc/passwd', DestinationErrorCode.BadScheme],
    ['https://user:pw@example.com/x', DestinationErrorCode.Credentials],
    ['not a url', DestinationErrorCode.BadUrl],
  ])('refuses %s with %s', async (url, code) => {
    const act = checkDestination(url, none, fakeResolver({}));

    await expect(act).rejects.toMatchObject({ name: 'DestinationRefusedError', code });
  });

  it('never repeats the path or query, which may hold a token', async () => {
    const act = checkDestination('http://10.0.0.1/services/T000/B000/SECRETTOKEN?token=abc', none, fakeResolver({}));

    await expect(act).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringMatching(/SECRETTOKEN|token=abc/) }),
    );
  });

  it('reports an unresolvable host as unresolved, not refused', async () => {
    const act = checkDestination('https://nowhere.invalid/', none, fakeResolver({}));

    await expect(act).rejects.toBeInstanceOf(DestinationUnresolvedError);
    await expect(act).rejects.toThrow(/ENOTFOUND/);
  });
});
