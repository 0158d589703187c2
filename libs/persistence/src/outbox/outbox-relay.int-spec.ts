import { createEvent, Subjects } from '@lockstep/contracts';
import { EventPublisher, type NatsClient } from '@lockstep/messaging';
import { enqueueEvent, OutboxMessageEntity, OutboxRelay, redriveOutboxDeadLetters } from '@lockstep/persistence';
import { waitFor } from '@lockstep/testing';
import type { DataSource, EntityManager } from 'typeorm';
import { checkFailure as failure, startOutboxFixture, type OutboxFixture } from '../testing/outbox-fixture';

/** The relay wakes itself when a transaction that wrote to the outbox commits: nobody calls kick(). */
describe(OutboxRelay.name, () => {
  let fixture: OutboxFixture;
  let ds: DataSource;
  let nats: NatsClient;
  let sut: OutboxRelay;
  /** Reasons of the check.failed events published so far. */
  const published = () => fixture.checkFailed.map((e) => e.data.reason);

  beforeAll(async () => {
    fixture = await startOutboxFixture('ob');
    ({ ds, nats } = fixture);
    sut = new OutboxRelay(ds, new EventPublisher(nats), nats);
    sut.pollMs = 10 * 60_000;
    await sut.onApplicationBootstrap();
    await waitFor(async () => (await sut.flush()) === 0, { what: 'the first pass' });
  });
  afterAll(async () => {
    await sut.beforeApplicationShutdown();
    await fixture.stop();
  });

  const enqueue = (m: EntityManager, reason: string) =>
    enqueueEvent(m, Subjects.CheckFailed, failure(reason), { source: '/lockstep/spec' });
  const pending = () => ds.getRepository(OutboxMessageEntity).count();
  /** Writes a check.failed event as outbox dead letter `id`, as the relay gives up on one. */
  const deadLetter = async (id: number, reason: string) => {
    const event = createEvent(Subjects.CheckFailed, failure(reason), { source: '/lockstep/spec' });
    await ds.query(
      `INSERT INTO outbox_dead_letters (id, subject, event_id, aggregate, event, created_at, reason)
       VALUES ($4, $1, $2, $1, $3, now(), 'larger than max_payload')`,
      [Subjects.CheckFailed, event.id, JSON.stringify(event), id],
    );
    return event;
  };

  it('publishes an event promptly after its transaction commits, with a 10 minute poll interval', async () => {
    const started = Date.now();

    await ds.transaction((m) => enqueue(m, 'committed'));
    await waitFor(() => published().includes('committed'), { timeoutMs: 5000, what: 'the committed event' });

    expect(Date.now() - started).toBeLessThan(5000);
    await waitFor(async () => (await pending()) === 0, { timeoutMs: 5000, what: 'the outbox to empty' });
  });

  it('publishes an event written outside a transaction (it commits in one of its own)', async () => {
    await enqueue(ds.manager, 'no transaction');

    await waitFor(() => published().includes('no transaction'), { timeoutMs: 5000, what: 'the event' });
  });

  it('publishes after the outer commit, not when a nested transaction releases its savepoint', async () => {
    const kick = jest.spyOn(sut, 'kick');

    await ds.transaction(async (m) => {
      await m.transaction((inner) => enqueue(inner, 'nested'));
      expect(kick).not.toHaveBeenCalled();
    });
    await waitFor(() => published().includes('nested'), { timeoutMs: 5000, what: 'the nested event' });

    expect(kick).toHaveBeenCalledTimes(1);
    kick.mockRestore();
  });

  it('given its subjects, relays only those rows and leaves the others to their own service', async () => {
    const schedulerRelay = new OutboxRelay(ds, new EventPublisher(nats), nats, [Subjects.RolloutChanged]);
    const event = createEvent(Subjects.CheckFailed, failure("the checker's"), { source: '/lockstep/spec' });
    // Inserted as a plain row, so the unfiltered relay is not woken by the commit.
    await ds
      .getRepository(OutboxMessageEntity)
      .insert({ subject: Subjects.CheckFailed, eventId: event.id, aggregate: 'demo', event });

    const relayed = await schedulerRelay.flush();

    expect(relayed).toBe(0);
    expect(await pending()).toBe(1);
    expect(await sut.flush()).toBe(1);
    await waitFor(() => published().includes("the checker's"), { timeoutMs: 5000, what: "the checker's event" });
  });

  it('publishes nothing, and is not woken, when the transaction rolls back', async () => {
    const kick = jest.spyOn(sut, 'kick');

    await expect(
      ds.transaction(async (m) => {
        await enqueue(m, 'rolled back');
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    await ds.transaction((m) => m.query('SELECT 1'));
    await new Promise((r) => setTimeout(r, 500));

    expect(kick).not.toHaveBeenCalled();
    expect(await pending()).toBe(0);
    expect(published()).not.toContain('rolled back');
    kick.mockRestore();
  });

  it('publishes a re-driven dead letter once its transaction commits, after the rows of its aggregate already waiting', async () => {
    const event = await deadLetter(9001, 're-driven');

    const moved = await ds.transaction(async (m) => {
      await enqueue(m, 'waiting before');
      return redriveOutboxDeadLetters(m, ['9001']);
    });
    await waitFor(() => published().includes('re-driven'), { timeoutMs: 5000, what: 'the re-driven event' });

    expect(moved).toEqual({
      moved: [{ id: '9001', outboxId: expect.any(String), subject: Subjects.CheckFailed, eventId: event.id }],
      skipped: [],
    });
    expect(published().slice(-2)).toEqual(['waiting before', 're-driven']);
    expect(await ds.query(`SELECT id FROM outbox_dead_letters`)).toEqual([]);
  });

  it('drops a dead letter whose event already waits in the outbox, and says so, instead of failing', async () => {
    const event = await deadLetter(9002, 'waiting twice');

    const result = await ds.transaction(async (m) => {
      await m.query(`INSERT INTO outbox (subject, event_id, aggregate, event) VALUES ($1, $2, $1, $3)`, [
        Subjects.CheckFailed,
        event.id,
        JSON.stringify(event),
      ]);
      return redriveOutboxDeadLetters(m, ['9002']);
    });
    await sut.flush(); // the row was written by hand, which does not wake the relay
    await waitFor(() => published().includes('waiting twice'), { timeoutMs: 5000, what: 'the waiting event' });

    expect(result).toEqual({ moved: [], skipped: [{ id: '9002', subject: Subjects.CheckFailed, eventId: event.id }] });
    expect(await ds.query(`SELECT id FROM outbox_dead_letters`)).toEqual([]);
  });
});
