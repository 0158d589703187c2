import { DeliveryStatus } from '@lockstep/contracts';
import {
  fixedSettings,
  SealingError,
  SealingErrorCode,
  type DeliveryEntity,
  type SettingsSource,
  type SubscriptionEntity,
} from '@lockstep/persistence';
import { MetricsRegistry } from '@lockstep/telemetry';
import { releaseEvent, waitFor } from '@lockstep/testing';
import * as channelDelivery from '../channels/channel-delivery';
import { slackChannel } from '../channels/slack';
import { generateWebhookSecret } from '../channels/webhook';
import type { NotifierConfig } from '../notifier.config';
import type { SubscriptionRepository } from '../subscriptions/subscription.repository';
import type { DeliveryRepository } from './delivery.repository';
import { DeliveryWorker } from './delivery-worker.service';

const config = {
  NOTIFIER_RETRY_SCHEDULE: [1000],
  NOTIFIER_ALLOWED_DESTINATIONS: 'loopback',
  NOTIFIER_TIMEOUT: 1000,
  NOTIFIER_CONCURRENCY: 4,
  NOTIFIER_POLL_INTERVAL: 60_000,
  NOTIFIER_LEASE: 60_000,
} as NotifierConfig;

const worker = (deliveries: object, subscriptions: object, settings: SettingsSource = fixedSettings()) =>
  new DeliveryWorker(
    deliveries as DeliveryRepository,
    subscriptions as SubscriptionRepository,
    config,
    new MetricsRegistry({ serviceName: 'notifier', defaultMetrics: false }),
    settings,
  );

describe(DeliveryWorker.name, () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['notification.attempt_timeout when set', fixedSettings({ 'notification.attempt_timeout': 250 }), 250],
    ['NOTIFIER_TIMEOUT while it is not', fixedSettings(), config.NOTIFIER_TIMEOUT],
  ])('bounds an attempt by %s', async (_, settings, timeoutMs) => {
    const attempt = jest
      .spyOn(channelDelivery, 'attemptDelivery')
      .mockResolvedValue({ outcome: 'delivered', durationMs: 1 } as never);
    const delivery = { id: 'msg_4', subscriptionId: 'sub-4', event: releaseEvent(), trace: {}, attempts: 0 };
    const subscription = {
      id: 'sub-4',
      channel: 'webhook',
      target: { url: 'https://receiver.example.com/hooks', secrets: [generateWebhookSecret()] },
      enabled: true,
    };
    const deliveries = {
      claimDue: jest.fn().mockResolvedValueOnce([delivery]).mockResolvedValue([]),
      nextDueAt: jest.fn().mockResolvedValue(undefined),
      recordAttempt: jest.fn().mockResolvedValue(true),
    };
    const subscriptions = {
      findByIds: jest.fn().mockResolvedValue([subscription]),
      openTarget: () => subscription.target,
    };
    const sut = worker(deliveries, subscriptions, settings);

    sut.onApplicationBootstrap();
    await waitFor(() => deliveries.recordAttempt.mock.calls.length > 0, { what: 'the attempt to be recorded' });
    await sut.beforeApplicationShutdown();

    expect(attempt.mock.calls[0][4]).toMatchObject({ timeoutMs });
  });

  it('gives a delivery waiting for its rate limit back to the queue at shutdown, recording no attempt', async () => {
    const url = 'http://127.0.0.1:9/services/T0/B0/worker-spec';
    slackChannel.limiter.defer(url, 60_000);
    const delivery = {
      id: 'msg_1',
      subscriptionId: 'sub-1',
      event: releaseEvent(),
      trace: {},
      status: DeliveryStatus.Pending,
      attempts: 0,
      scheduleBase: 0,
    } as unknown as DeliveryEntity;
    const subscription = {
      id: 'sub-1',
      channel: 'slack',
      target: { url },
      enabled: true,
    } as unknown as SubscriptionEntity;
    const deliveries = {
      claimDue: jest.fn().mockResolvedValueOnce([delivery]).mockResolvedValue([]),
      nextDueAt: jest.fn().mockResolvedValue(undefined),
      release: jest.fn().mockResolvedValue(undefined),
      recordAttempt: jest.fn(),
    };
    const subscriptions = {
      findByIds: jest.fn().mockResolvedValue([subscription]),
      openTarget: (s: SubscriptionEntity) => s.target,
    };
    const sut = worker(deliveries, subscriptions);
    sut.onApplicationBootstrap();
    await waitFor(() => deliveries.nextDueAt.mock.calls.length > 0, { what: 'the delivery to be claimed' });
    const started = Date.now();

    await sut.beforeApplicationShutdown();

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(deliveries.release).toHaveBeenCalledWith(delivery);
    expect(deliveries.recordAttempt).not.toHaveBeenCalled();
  });

  it('records an attempt error that quotes a destination with its token masked', async () => {
    const token = 'discordTokenNeverStored';
    const delivery = {
      id: 'msg_2',
      subscriptionId: 'sub-2',
      event: releaseEvent(),
      trace: {},
      status: DeliveryStatus.Pending,
      attempts: 0,
      scheduleBase: 0,
    } as unknown as DeliveryEntity;
    const subscription = {
      id: 'sub-2',
      channel: 'discord',
      target: {},
      enabled: true,
    } as unknown as SubscriptionEntity;
    const deliveries = {
      claimDue: jest.fn().mockResolvedValueOnce([delivery]).mockResolvedValue([]),
      nextDueAt: jest.fn().mockResolvedValue(undefined),
      recordAttempt: jest.fn().mockResolvedValue(true),
    };
    const subscriptions = {
      findByIds: jest.fn().mockResolvedValue([subscription]),
      openTarget: () => {
        throw new Error(`cannot use https://discord.com/api/v10/webhooks/42/${token}`);
      },
    };
    const sut = worker(deliveries, subscriptions);

    sut.onApplicationBootstrap();
    await waitFor(() => deliveries.recordAttempt.mock.calls.length > 0, { what: 'the attempt to be recorded' });
    await sut.beforeApplicationShutdown();

    const recorded = JSON.stringify(deliveries.recordAttempt.mock.calls[0]);
    expect(recorded).not.toContain(token);
    expect(recorded).toContain('webhooks/42/[REDACTED]');
  });

  it('retries, not gives up, a delivery whose subscription is sealed under a key this replica does not have yet', async () => {
    const delivery = {
      id: 'msg_3',
      subscriptionId: 'sub-3',
      event: releaseEvent(),
      trace: {},
      status: DeliveryStatus.Pending,
      attempts: 0,
      scheduleBase: 0,
    } as unknown as DeliveryEntity;
    const subscription = {
      id: 'sub-3',
      channel: 'webhook',
      target: {},
      enabled: true,
    } as unknown as SubscriptionEntity;
    const deliveries = {
      claimDue: jest.fn().mockResolvedValueOnce([delivery]).mockResolvedValue([]),
      nextDueAt: jest.fn().mockResolvedValue(undefined),
      recordAttempt: jest.fn().mockResolvedValue(true),
    };
    const subscriptions = {
      findByIds: jest.fn().mockResolvedValue([subscription]),
      openTarget: () => {
        throw new SealingError(SealingErrorCode.KeyUnknown, 'sealed under key 0badc0de');
      },
    };
    const sut = worker(deliveries, subscriptions);

    sut.onApplicationBootstrap();
    await waitFor(() => deliveries.recordAttempt.mock.calls.length > 0, { what: 'the attempt to be recorded' });
    await sut.beforeApplicationShutdown();

    const [, attempt, next] = deliveries.recordAttempt.mock.calls[0] as [
      unknown,
      { outcome: string },
      { status: string },
    ];
    expect(attempt.outcome).toBe('retry');
    expect(next.status).toBe(DeliveryStatus.Pending);
  });
});
