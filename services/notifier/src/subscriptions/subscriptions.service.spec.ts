import { contractFor, systemActor, type Audited, type SubscriptionUpsertV1 } from '@lockstep/contracts';
import { SealingError, SealingErrorCode, type SubscriptionEntity } from '@lockstep/persistence';
import { NOTIFIER_SUBJECTS } from '../deliveries/event-router.handler';
import type { NotifierConfig } from '../notifier.config';
import type { SubscriptionRepository } from './subscription.repository';
import { SubscriptionsService } from './subscriptions.service';

const request = (over: Partial<SubscriptionUpsertV1> = {}): Audited<SubscriptionUpsertV1> => ({
  actor: systemActor('spec'),
  name: 'ops',
  channel: 'webhook',
  target: { url: 'http://127.0.0.1:9/hook' },
  eventTypes: ['*'],
  enabled: true,
  ...over,
});

describe(SubscriptionsService.name, () => {
  const repo = { findById: jest.fn(), save: jest.fn(), delete: jest.fn(), openTarget: jest.fn() };
  const sut = new SubscriptionsService(
    repo as unknown as SubscriptionRepository,
    {
      NOTIFIER_ALLOWED_DESTINATIONS: 'loopback',
    } as NotifierConfig,
  );

  beforeEach(() => {
    jest.resetAllMocks();
    repo.save.mockImplementation((e: SubscriptionEntity, target: Record<string, unknown>) =>
      Promise.resolve({ ...e, target }),
    );
    repo.openTarget.mockImplementation((e: SubscriptionEntity) => e.target);
  });

  it('creates a webhook with a generated signing secret, shown once', async () => {
    const reply = await sut.upsert(request());

    expect(reply.ok).toBe(true);
    const result = reply.ok ? reply.result : undefined;
    expect(result?.generatedSecret).toMatch(/^whsec_/);
    expect(result?.subscription).toMatchObject({ channel: 'webhook', secretCount: 1 });
    expect(repo.save).toHaveBeenCalledWith(
      expect.objectContaining({ channel: 'webhook' }),
      expect.objectContaining({ secrets: [result?.generatedSecret] }),
      {
        actor: systemActor('spec'),
        action: 'subscription.create',
        params: {
          name: 'ops',
          channel: 'webhook',
          url: 'http://127.0.0.1:9/hook',
          secretCount: 1,
          eventTypes: ['*'],
          enabled: true,
        },
      },
    );
  });

  it.each(['node.lost', 'node.recovered', 'settings.changed'])(
    'subscribes to %s, an event the notifier consumes',
    async (name) => {
      const reply = await sut.upsert(request({ eventTypes: [name] }));

      expect(reply.ok).toBe(true);
      expect(NOTIFIER_SUBJECTS.map((s) => contractFor(s)?.name)).toContain(name);
    },
  );

  it('keeps the stored target settings an update leaves out', async () => {
    repo.findById.mockResolvedValue({
      id: '00000000-0000-4000-8000-000000000001',
      channel: 'webhook',
      target: { url: 'http://127.0.0.1:9/old', secrets: ['whsec_' + Buffer.alloc(32, 1).toString('base64')] },
    });

    const reply = await sut.upsert(
      request({ id: '00000000-0000-4000-8000-000000000001', target: { url: 'http://127.0.0.1:9/new' } }),
    );

    expect(reply).toMatchObject({
      ok: true,
      result: { subscription: { url: 'http://127.0.0.1:9/new', secretCount: 1 } },
    });
    expect(reply.ok && reply.result.generatedSecret).toBeUndefined();
  });

  it.each([
    ['an unknown channel', request({ channel: 'sms' }), 'CHANNEL_UNKNOWN'],
    [
      'a target that does not fit its channel',
      request({ channel: 'slack', target: { url: 42 } }),
      'CHANNEL_INVALID_TARGET',
    ],
    [
      'a destination outside the allow-list',
      request({ target: { url: 'http://169.254.169.254/hook' } }),
      'DESTINATION_REFUSED',
    ],
    ['an event filter that matches no event', request({ eventTypes: ['nothing.such'] }), 'INVALID_EVENT_FILTER'],
  ])('refuses %s and stores nothing', async (_name, req, code) => {
    const reply = await sut.upsert(req);

    expect(reply).toMatchObject({ ok: false, error: { code } });
    expect(repo.save).not.toHaveBeenCalled();
  });

  it('refuses with SECRET_KEY_MISSING, saying what to set, when there is no key to seal the target with', async () => {
    repo.save.mockRejectedValue(new SealingError(SealingErrorCode.KeyMissing, 'set LOCKSTEP_SECRET_KEY'));

    const reply = await sut.upsert(request());

    expect(reply).toMatchObject({ ok: false, error: { code: 'SECRET_KEY_MISSING', message: /LOCKSTEP_SECRET_KEY/ } });
  });

  it('refuses to update a subscription that does not exist', async () => {
    repo.findById.mockResolvedValue(null);

    const reply = await sut.upsert(request({ id: '00000000-0000-4000-8000-000000000002' }));

    expect(reply).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
