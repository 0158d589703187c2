import { allowedHosts, hostAllowed } from './allowed-hosts';

describe(hostAllowed.name, () => {
  const defaults = allowedHosts({ API_ALLOWED_HOSTS: '', HTTP_HOST: '127.0.0.1' });
  const configured = allowedHosts({ API_ALLOWED_HOSTS: 'api.example.com, localhost:8080', HTTP_HOST: '0.0.0.0' });

  it.each([
    [defaults, 'localhost:8080', true],
    [defaults, '127.0.0.1:41234', true],
    [defaults, '[::1]:8080', true],
    [defaults, 'LOCALHOST', true],
    [defaults, 'evil.example', false],
    [defaults, 'evil.example:8080', false],
    [defaults, 'localhost.evil.example', false],
    [defaults, undefined, false],
    [configured, 'api.example.com', true],
    [configured, 'api.example.com:443', true],
    [configured, 'localhost:8080', true],
    [configured, 'localhost:9999', false],
    [configured, '127.0.0.1:8080', false],
  ])('%#: Host %s → %s', (allowed, host, ok) => {
    expect(hostAllowed(host, allowed)).toBe(ok);
  });

  it('adds a specific bind address, never a wildcard one', () => {
    expect([...allowedHosts({ API_ALLOWED_HOSTS: '', HTTP_HOST: '10.0.0.5' })]).toContain('10.0.0.5');
    expect([...allowedHosts({ API_ALLOWED_HOSTS: '', HTTP_HOST: '0.0.0.0' })]).toEqual([
      'localhost',
      '127.0.0.1',
      '[::1]',
    ]);
  });
});
