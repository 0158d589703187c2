import {
  createDataSource,
  DeliveryAttemptEntity,
  DeliveryEntity,
  runMigrations,
  SubscriptionEntity,
} from '@lockstep/persistence';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { DeliveriesRepository } from './deliveries.repository';

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';

describe(DeliveriesRepository.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let sut: DeliveriesRepository;

  const delivery = (id: string, { event, ...over }: Partial<Omit<DeliveryEntity, 'event'>> & { event?: object }) => ({
    id,
    eventId: `ev-${id}`,
    subscriptionId: SUB_A,
    eventName: 'release.available',
    // jsonb columns do not fit TypeORM's deep-partial insert type
    event: (event ?? { id: `ev-${id}`, subject: 'demo' }) as never,
    status: 'delivered' as const,
    attempts: 1,
    nextAttemptAt: new Date('2026-01-01T00:00:00Z'),
    ...over,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    await ds.getRepository(SubscriptionEntity).insert({
      id: SUB_A,
      name: 'ops',
      channel: 'webhook',
      target: { url: 'https://example.com', secrets: ['whsec_x'] },
      eventTypes: ['*'],
    });
    await ds.getRepository(DeliveryEntity).insert([
      delivery('d1', { createdAt: new Date('2026-01-01T00:00:01Z') }),
      delivery('d2', {
        createdAt: new Date('2026-01-01T00:00:02Z'),
        status: 'dead',
        attempts: 2,
        lastError: 'answered 500',
      }),
      delivery('d3', {
        createdAt: new Date('2026-01-01T00:00:03Z'),
        subscriptionId: SUB_B,
        eventName: 'check.failed',
        event: { id: 'ev-d3' },
        status: 'pending',
        attempts: 0,
      }),
    ]);
    await ds.getRepository(DeliveryAttemptEntity).insert([
      {
        deliveryId: 'd1',
        attempt: 1,
        startedAt: new Date('2026-01-01T00:00:01Z'),
        durationMs: 12,
        outcome: 'delivered',
        statusCode: 200,
        responseSnippet: 'ok',
        error: null,
      },
      {
        deliveryId: 'd2',
        attempt: 2,
        startedAt: new Date('2026-01-01T00:00:05Z'),
        durationMs: 30,
        outcome: 'retry',
        statusCode: 500,
        responseSnippet: 'x'.repeat(1000),
        error: 'answered 500',
      },
      {
        deliveryId: 'd2',
        attempt: 1,
        startedAt: new Date('2026-01-01T00:00:02Z'),
        durationMs: 5000,
        outcome: 'retry',
        statusCode: null,
        responseSnippet: null,
        error: 'timed out',
      },
    ]);
    sut = new DeliveriesRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('lists newest first with each attempt in order, the subscription name and the event subject', async () => {
    const items = await sut.list({ limit: 50 });

    expect(items.map((d) => d.id)).toEqual(['d3', 'd2', 'd1']);
    expect(items[1]).toMatchObject({
      subscriptionName: 'ops',
      eventSubject: 'demo',
      status: 'dead',
      attemptCount: 2,
      nextAttemptAt: null,
      lastError: 'answered 500',
      finishedAt: null,
    });
    expect(items[1].attempts.map((a) => [a.attempt, a.statusCode, a.durationMs, a.outcome, a.error])).toEqual([
      [1, null, 5000, 'retry', 'timed out'],
      [2, 500, 30, 'retry', 'answered 500'],
    ]);
    expect(items[1].attempts[1].response).toHaveLength(200);
    expect(items[0]).toMatchObject({
      subscriptionName: null,
      eventSubject: null,
      attempts: [],
      nextAttemptAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it.each([
    [{ subscription: SUB_A }, ['d2', 'd1']],
    [{ status: 'dead' as const }, ['d2']],
    [{ event: 'release.*' }, ['d2', 'd1']],
    [{ event: 'check.failed' }, ['d3']],
    [{ event: 'ev-d1' }, ['d1']],
    [{ event: 're%.*' }, []],
    [{ limit: 1 }, ['d3']],
  ])('filters by %j', async (filter, ids) => {
    const items = await sut.list({ limit: 50, ...filter });

    expect(items.map((d) => d.id)).toEqual(ids);
  });
});
