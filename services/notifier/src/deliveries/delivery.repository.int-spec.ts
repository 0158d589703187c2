import { randomUUID } from 'node:crypto';
import { systemActor } from '@lockstep/contracts';
import { AuditLogEntity, createDataSource, runMigrations, SubscriptionEntity } from '@lockstep/persistence';
import { createTestDatabase, releaseEvent, type TestDatabase } from '@lockstep/testing';
import type { DataSource } from 'typeorm';
import { DeliveryRepository } from './delivery.repository';

describe(DeliveryRepository.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let sut: DeliveryRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    sut = new DeliveryRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  async function pendingDelivery(): Promise<void> {
    const subscriptionId = randomUUID();
    await ds.getRepository(SubscriptionEntity).insert({
      id: subscriptionId,
      name: `sub-${subscriptionId}`,
      channel: 'webhook',
      target: { url: 'https://example.com/hook' },
      eventTypes: ['*'],
      enabled: true,
      disabledReason: null,
    });
    await sut.enqueue(releaseEvent(), 'release.available', [subscriptionId], {});
  }

  it('gives a claimed delivery back to the queue while its lease is the one it claimed', async () => {
    await pendingDelivery();
    const [claimed] = await sut.claimDue(10, 60_000);

    await sut.release(claimed);
    const again = await sut.claimDue(10, 60_000);

    expect(again.map((d) => d.id)).toEqual([claimed.id]);
    await sut.cancel(claimed.id, 'done with it');
  });

  it('leaves the lease of another worker that claimed the delivery after the first lease ran out', async () => {
    await pendingDelivery();
    const [first] = await sut.claimDue(10, 60_000);
    await ds.query(`UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE id = $1`, [first.id]); // ran out
    const [second] = await sut.claimDue(10, 60_000);

    await sut.release(first);
    const third = await sut.claimDue(10, 60_000);

    expect(second.id).toBe(first.id);
    expect(third).toEqual([]);
  });

  it("records giving up on a delivery, and an operator's replay of it, each in the transaction of the change", async () => {
    await pendingDelivery();
    const [claimed] = await sut.claimDue(10, 60_000);
    const attempt = {
      startedAt: new Date(),
      durationMs: 5,
      outcome: 'failed_permanently',
      statusCode: 400,
      responseSnippet: null,
      error: 'HTTP 400',
    };

    await sut.recordAttempt(
      claimed,
      attempt,
      { status: 'dead' },
      'HTTP 400 from https://hooks.slack.com/services/T0/B0/SECRETPART',
    );
    const replayed = await sut.replayDead({ deliveryId: claimed.id }, systemActor('ops-spec'));

    const records = await ds.getRepository(AuditLogEntity).find({ order: { id: 'ASC' } });
    expect(replayed).toBe(1);
    expect(records.map((r) => [r.action, r.actorId, r.target])).toEqual([
      ['message.dead-lettered', 'notifier', claimed.id],
      ['dead-letter.replay', 'ops-spec', claimed.id],
    ]);
    expect(records[0].params).toMatchObject({ subscriptionId: claimed.subscriptionId, attempts: 1 });
    expect(JSON.stringify(records)).not.toContain('SECRETPART');
  });
});
