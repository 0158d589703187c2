import type { SubscriptionViewV1 } from '@lockstep/contracts';
import { UsageError } from '../errors';
import {
  buildSubscriptionBody,
  checkSubscriptionId,
  formatSubscriptionCreated,
  formatSubscriptions,
  parseEvents,
} from './subscriptions.command';

const view = (over: Partial<SubscriptionViewV1> = {}): SubscriptionViewV1 => ({
  id: '6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60',
  name: 'ops',
  channel: 'webhook',
  url: 'https://hooks.example.com/lockstep',
  secretCount: 1,
  eventTypes: ['release.*'],
  enabled: true,
  disabledReason: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe(buildSubscriptionBody.name, () => {
  it('names the subscription after channel and host and subscribes to everything by default', () => {
    expect(buildSubscriptionBody({ channel: 'slack', url: 'https://hooks.slack.com/services/T/B/X' })).toEqual({
      name: 'slack hooks.slack.com',
      channel: 'slack',
      target: { url: 'https://hooks.slack.com/services/T/B/X' },
      eventTypes: ['*'],
    });
  });

  it('passes a given webhook secret and event filters', () => {
    expect(
      buildSubscriptionBody({
        channel: 'webhook',
        url: 'https://x.example.com/h',
        name: 'n',
        events: 'release.available, check.*',
        secret: 'whsec_abc=',
      }),
    ).toEqual({
      name: 'n',
      channel: 'webhook',
      target: { url: 'https://x.example.com/h', secrets: ['whsec_abc='] },
      eventTypes: ['release.available', 'check.*'],
    });
  });

  it.each([
    [{ channel: 'webhook', url: 'nope' }, /--url "nope" is not a URL/],
    [{ channel: 'slack', url: 'https://x', secret: 'whsec_a' }, /--secret applies to --channel webhook only/],
    [{ channel: 'webhook', url: 'https://x', secret: 'hunter2' }, /--secret must look like whsec_/],
    [{ channel: 'webhook', url: 'https://x', events: ' , ' }, /--events needs at least one/],
  ])('refuses %j', (options, message) => {
    const act = () => buildSubscriptionBody(options);

    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });
});

describe(parseEvents.name, () => {
  it('defaults to every event', () => {
    expect(parseEvents(undefined)).toEqual(['*']);
  });
});

describe(checkSubscriptionId.name, () => {
  it('accepts a UUID and refuses anything else', () => {
    expect(checkSubscriptionId('6F1C2A52-3C1E-4A57-9D0E-2B1C3D4E5F60')).toBe('6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60');
    expect(() => checkSubscriptionId('ops')).toThrow(/"ops" is not a subscription id/);
  });
});

describe(formatSubscriptionCreated.name, () => {
  it('shows a generated secret once, with a warning to store it', () => {
    const sut = formatSubscriptionCreated({ subscription: view(), generatedSecret: 'whsec_generated' });

    expect(sut).toMatch(/created subscription 6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60/);
    expect(sut).toMatch(/signing secret \(shown only now[^\n]*\nwhsec_generated\n$/);
  });

  it('prints no secret section when none was generated', () => {
    expect(formatSubscriptionCreated({ subscription: view() })).not.toMatch(/secret \(/);
  });
});

describe(formatSubscriptions.name, () => {
  it('shows why a subscription is disabled', () => {
    const sut = formatSubscriptions([view({ enabled: false, disabledReason: 'answered 410 Gone' })]);

    expect(sut.split('\n')[1]).toMatch(
      /^6f1c2a52-\S+\s+ops\s+webhook\s+https:\/\/hooks\.example\.com\/lockstep\s+release\.\*\s+disabled: answered 410 Gone$/,
    );
  });
});
