/**
 * Issue 12, defect 2: dead letters of every kind can be listed and re-driven. Real nats-server
 * and Postgres: an event consumer dead-letters an event its handler cannot take yet; the API's
 * GET /v1/dead-letters lists it with the reason and the service that gave up (asked of the
 * scheduler's real handler); the re-drive delivers it to the consumer once and it leaves the
 * list. Likewise an outbox dead letter goes out after its re-drive.
 */
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createEvent, Queries, Subjects, type CloudEvent } from '@lockstep/contracts';
import { EventPublisher, MessagingModule, NatsClient, OnEvent } from '@lockstep/messaging';
import { AuditLogEntity, createDataSource, OutboxRelay, runMigrations } from '@lockstep/persistence';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from '@lockstep/testing';
import type { INestApplication } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AuditRepository as SchedulerAudit } from '../../../scheduler/src/audit/audit.repository';
import { DeadLetterStream } from '../../../scheduler/src/dead-letters/dead-letter-stream.repository';
import { DeadLettersHandler } from '../../../scheduler/src/dead-letters/dead-letters.handler';
import { DeadLettersService } from '../../../scheduler/src/dead-letters/dead-letters.service';
import { OutboxDeadLettersRepository as SchedulerOutbox } from '../../../scheduler/src/dead-letters/outbox-dead-letters.repository';
import { DeliveriesRepository } from '../deliveries/deliveries.repository';
import { startApiTestApp, type ApiTestApp } from '../testing/api-test-app';
import { OutboxDeadLettersRepository } from './outbox-dead-letters.repository';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];
const payload = { component: 'demo', source: 'tuf', code: 'SOURCE_UNREACHABLE', reason: 'down' };

/** A consumer that cannot handle anything until `fixed`, then records each event it handled. */
@Injectable()
class ChecksConsumer {
  fixed = false;
  handled: string[] = [];
  @OnEvent(Subjects.CheckFailed)
  handle(event: CloudEvent): void {
    if (!this.fixed) throw new Error('no handler for this yet');
    this.handled.push(event.id);
  }
}

describe('dead letters of every kind: listed with reason and service, re-driven once (nats-server, Postgres, HTTP)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let consumerApp: INestApplication;
  let consumer: ChecksConsumer;
  let nats: NatsClient;
  let api: ApiTestApp;
  const namespace = uniqueName('dlq');
  /** The timeout the API gave each query it asked. */
  const timeouts = new Map<string, number>();
  let schedulerDown = false;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    await runMigrations(ds);
    const mod = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          service: 'checks-consumer',
          connection: { NATS_URL: servers },
          namespace,
          handles: [Subjects.CheckFailed],
          maxDeliver: 2,
          redeliveryBackoffMs: [20],
        }),
      ],
      providers: [ChecksConsumer],
    }).compile();
    consumerApp = mod.createNestApplication({ logger: false });
    await consumerApp.init();
    consumer = consumerApp.get(ChecksConsumer);
    nats = new NatsClient({ service: 'scheduler', connection: { NATS_URL: servers }, namespace, handles: [] });
    await nats.connect();
    const scheduler = new DeadLettersHandler(
      new DeadLettersService(new DeadLetterStream(nats), new SchedulerOutbox(ds), new SchedulerAudit(ds)),
    );
    const handlers: Record<string, (payload: unknown) => Promise<unknown>> = {
      [Queries.DeadLetterList]: (p) => scheduler.list(p),
      [Queries.DeadLetterRedrive]: (p) => scheduler.redrive(p),
      [Queries.DeadLetterDiscard]: (p) => scheduler.discard(p),
    };
    api = await startApiTestApp({
      send: (async (query: string, p: unknown, timeoutMs: number) => {
        timeouts.set(query, timeoutMs);
        if (schedulerDown) throw Object.assign(new Error('no responders'), { name: 'NoRespondersError' });
        return handlers[query](JSON.parse(JSON.stringify(p)));
      }) as never,
      repositories: [
        [DeliveriesRepository, new DeliveriesRepository(ds)],
        [OutboxDeadLettersRepository, new OutboxDeadLettersRepository(ds)],
      ],
      database: ds,
    });
  });
  afterAll(async () => {
    await api?.close();
    await consumerApp?.close();
    for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS'])
      await nats.jsm.streams.delete(nats.stream(s)).catch(() => undefined);
    await nats.onApplicationShutdown();
    await ds.destroy();
    await db.drop();
  });

  const listed = async (kind: string) => (await api.call('GET', `/v1/dead-letters?kind=${kind}`)).body.items;
  const redrives = () => ds.getRepository(AuditLogEntity).findBy({ action: 'dead-letter.redrive' });

  it('lists a dead-lettered event with reason and service; a re-drive delivers it once and it leaves the list', async () => {
    const event = await consumerApp.get(EventPublisher).publish(Subjects.CheckFailed, payload);

    const [letter] = await waitFor(async () => {
      const items = await listed('message');
      return items.length > 0 ? items : undefined;
    });
    consumer.fixed = true;
    const res = await api.call('POST', '/v1/dead-letters/redrive', { seq: Number(letter.id) });
    await waitFor(() => consumer.handled.includes(event.id), { what: 'the re-driven event handled' });
    const after = await listed('message');

    expect(letter).toMatchObject({
      kind: 'message',
      subject: Subjects.CheckFailed,
      eventId: event.id,
      reason: 'no handler for this yet',
      service: 'checks-consumer',
    });
    expect(res.status).toBe(200);
    expect(res.body.redriven).toEqual([
      { kind: 'message', id: letter.id, subject: Subjects.CheckFailed, service: 'checks-consumer' },
    ]);
    expect(after).toEqual([]);
    expect(consumer.handled.filter((id) => id === event.id)).toHaveLength(1);
    expect((await redrives()).map((r) => [r.target, r.actorName])).toEqual([[`message#${letter.id}`, 'test-owner']]);
  });

  it('re-drives an outbox dead letter back into the outbox, whence the relay publishes it to the consumer', async () => {
    const event = createEvent(Subjects.CheckFailed, { ...payload, reason: 'was too large' }, { source: '/test' });
    await ds.query(
      `INSERT INTO outbox_dead_letters (id, subject, event_id, aggregate, event, created_at, reason)
       VALUES (42, $1, $2, 'demo', $3, now(), 'larger than the server max_payload')`,
      [Subjects.CheckFailed, event.id, JSON.stringify(event)],
    );
    const before = await listed('outbox');

    const res = await api.call('POST', '/v1/dead-letters/redrive', { outboxId: '42' });
    const relay = new OutboxRelay(ds, consumerApp.get(EventPublisher), nats);
    await relay.flush();
    await waitFor(() => consumer.handled.includes(event.id), { what: 'the re-driven outbox row handled' });

    expect(before).toEqual([
      expect.objectContaining({
        kind: 'outbox',
        id: '42',
        eventId: event.id,
        reason: 'larger than the server max_payload',
      }),
    ]);
    expect(res.body.redriven).toEqual([{ kind: 'outbox', id: '42', subject: Subjects.CheckFailed, service: null }]);
    expect(await listed('outbox')).toEqual([]);
    expect(consumer.handled.filter((id) => id === event.id)).toHaveLength(1);
    expect((await redrives()).map((r) => r.target)).toContain('outbox#42');
  });

  it('answers 404 for a message that is no dead letter, and records nothing', async () => {
    const count = (await redrives()).length;

    const res = await api.call('POST', '/v1/dead-letters/redrive', { seq: 999 });

    expect(res.status).toBe(404);
    expect(res.body.detail).toMatch(/no message 999.*lockstep dead-letters --kind message/);
    expect(await redrives()).toHaveLength(count);
  });

  const outboxDeadLetter = async (id: number, reason: string) => {
    const event = createEvent(Subjects.CheckFailed, { ...payload, reason }, { source: '/test' });
    await ds.query(
      `INSERT INTO outbox_dead_letters (id, subject, event_id, aggregate, event, created_at, reason)
       VALUES ($4, $1, $2, 'demo', $3, now(), 'larger than the server max_payload')`,
      [Subjects.CheckFailed, event.id, JSON.stringify(event), id],
    );
    return event;
  };

  it('gives a re-drive longer than a query to answer (a re-drive of every dead letter takes a while)', async () => {
    await api.call('POST', '/v1/dead-letters/redrive', { kind: 'outbox' });

    expect(timeouts.get(Queries.DeadLetterRedrive)).toBe(5 * 60_000);
  });

  it('answers 400 with what to do for an outbox id beyond any row id', async () => {
    const res = await api.call('POST', '/v1/dead-letters/redrive', { outboxId: '99999999999999999999' });

    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/larger than any outbox id .*lockstep dead-letters --kind outbox/);
  });

  it('discards an outbox dead letter for good, with an audit record', async () => {
    await outboxDeadLetter(43, 'never to be sent');

    const res = await api.call('POST', '/v1/dead-letters/discard', { outboxId: '43' });
    const again = await api.call('POST', '/v1/dead-letters/discard', { outboxId: '43' });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ discarded: { kind: 'outbox', id: '43', subject: Subjects.CheckFailed } });
    expect(again.status).toBe(404);
    expect(await listed('outbox')).toEqual([]);
    const records = await ds.getRepository(AuditLogEntity).findBy({ action: 'dead-letter.discard' });
    expect(records.map((r) => [r.target, r.actorName])).toEqual([['outbox#43', 'test-owner']]);
  });

  it('lists outbox dead letters with a warning when the scheduler does not answer', async () => {
    await outboxDeadLetter(44, 'still here');
    schedulerDown = true;

    const res = await api.call('GET', '/v1/dead-letters').finally(() => (schedulerDown = false));

    expect(res.status).toBe(200);
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual(['44']);
    expect(res.body.warnings).toEqual([expect.stringMatching(/stream messages .*not listed.*start the scheduler/)]);
  });
});
