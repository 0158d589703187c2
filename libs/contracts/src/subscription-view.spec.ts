import { maskUrl, toView, type StoredSubscription } from './subscription-view';

describe(toView.name, () => {
  const stored = (over: Partial<StoredSubscription> = {}): StoredSubscription => ({
    id: 'id-1',
    name: 'ops',
    channel: 'webhook',
    target: { url: 'https://user:pw@hooks.example.com/lockstep?token=abc', secrets: ['whsec_a', 'whsec_b'] },
    eventTypes: ['release.*'],
    enabled: true,
    disabledReason: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    ...over,
  });

  it('counts secrets and never includes them', () => {
    const sut = toView(stored());

    expect(sut).toEqual({
      id: 'id-1',
      name: 'ops',
      channel: 'webhook',
      url: 'https://hooks.example.com/lockstep',
      secretCount: 2,
      eventTypes: ['release.*'],
      enabled: true,
      disabledReason: null,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(JSON.stringify(sut)).not.toMatch(/whsec_|pw|token=abc/);
  });
});

describe(maskUrl.name, () => {
  it.each([
    ['https://hooks.slack.com/services/T0/B0/XXXX', 'slack', 'https://hooks.slack.com/services/***'],
    ['https://discord.com/api/webhooks/123/tok', 'discord', 'https://discord.com/api/***'],
    ['https://u:p@example.com/hook?sig=1', 'webhook', 'https://example.com/hook'],
    ['not a url', 'webhook', '***'],
  ])('%s (%s) -> %s', (url, channel, expected) => {
    expect(maskUrl(url, channel)).toBe(expected);
  });
});

describe('toView of a sealed subscription', () => {
  it.each([
    ['slack', 'https://hooks.slack.com/services/T0/B0/secret'],
    ['discord', 'https://discord.com/api/webhooks/1/secret'],
    ['webhook', 'https://u:p@example.com/hook?token=secret'],
  ])('shows the same view from the stored public target as from the whole %s target', (channel, url) => {
    const base = { id: 'i', name: 'n', channel, eventTypes: ['*'], enabled: true, disabledReason: null };
    const whole = toView({ ...base, target: { url, secrets: ['a', 'b'] } });

    const sealed = toView({ ...base, target: { url: maskUrl(url, channel), secretCount: 2 } });

    expect({ ...sealed, createdAt: '' }).toEqual({ ...whole, createdAt: '' });
    expect(sealed.url).not.toContain('secret');
  });
});
