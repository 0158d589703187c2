import { Global, Injectable, Module, type Type } from '@nestjs/common';
import type { MessagingOptions } from './messaging.options';
import { Test } from '@nestjs/testing';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  Subjects,
  createEvent,
  eventWireSubject,
  type CloudEvent,
  type MessageDeadLetteredV1,
} from '@lockstep/contracts';
import {
  DEAD_LETTER_RECORDER,
  type DeadLetteredMessage,
  ensureStreams,
  EventPublisher,
  HandlerRegistrationError,
  MessagingModule,
  OnEvent,
  type HandlerOutcome,
} from '@lockstep/messaging';
import { uniqueName, waitFor } from '@lockstep/testing';
import { Client as PgClient } from 'pg';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];
const connection = { NATS_URL: servers };
const payload = { component: 'demo', source: 'tuf', code: 'SOURCE_UNREACHABLE', reason: 'down' };

@Injectable()
class FlakyHandler {
  calls: CloudEvent[] = [];
  failFirst = 2;
  @OnEvent(Subjects.CheckFailed)
  handle(event: CloudEvent): HandlerOutcome | undefined {
    this.calls.push(event);
    if (event.data && (event.data as { reason: string }).reason === 'poison') throw new Error('cannot handle poison');
    if (this.calls.length <= this.failFirst) return { kind: 'retry', reason: 'not yet', delayMs: 50 };
  }
}

@Injectable()
class BatchHandler {
  calls: string[][] = [];
  @OnEvent(Subjects.CheckFailed, { batch: true })
  handle(events: CloudEvent[]) {
    const reasons = events.map((e) => (e.data as { reason: string }).reason);
    this.calls.push(reasons);
    if (reasons.includes('poison')) throw new Error('cannot handle poison');
  }
}

@Injectable()
class LingeringHandler {
  calls: string[][] = [];
  @OnEvent(Subjects.CheckFailed, { batch: true, lingerMs: 300 })
  handle(events: CloudEvent[]) {
    this.calls.push(events.map((e) => (e.data as { reason: string }).reason));
  }
}

@Injectable()
class InstallOutcomes {
  calls: CloudEvent[] = [];
  @OnEvent(Subjects.InstallFinished)
  handle(event: CloudEvent) {
    this.calls.push(event);
  }
}

/** A handler whose database is down until `up` is set: it throws what pg throws then. */
@Injectable()
class DatabaseBoundHandler {
  calls = 0;
  handled: string[] = [];
  up = false;
  /** Failures of its own still to come once the database is back. */
  ownFailures = 0;
  @OnEvent(Subjects.CheckFailed)
  async handle(event: CloudEvent): Promise<void> {
    this.calls++;
    if (this.up && this.ownFailures > 0) {
      this.ownFailures--;
      throw new Error('a failure of its own (not an outage)');
    }
    if (!this.up) {
      // a real connection failure, from a real client, to a port nothing listens on
      const client = new PgClient({ connectionString: 'postgres://postgres@127.0.0.1:1/none' });
      await client.connect();
    }
    this.handled.push(event.id);
  }
}

/** A handler whose every query ends its own Postgres connection (a payload that crashes the backend). */
@Injectable()
class BackendCrashingHandler {
  calls = 0;
  @OnEvent(Subjects.CheckFailed)
  handle(): never {
    this.calls++;
    throw new Error('query failed', { cause: new Error('Connection terminated unexpectedly') });
  }
}

/** What the consumer reported as dead-lettered (a service with Postgres records these in the audit trail). */
const deadLettered: DeadLetteredMessage[] = [];
@Global()
@Module({
  providers: [
    {
      provide: DEAD_LETTER_RECORDER,
      useValue: { deadLettered: async (m: DeadLetteredMessage) => void deadLettered.push(m) },
    },
  ],
  exports: [DEAD_LETTER_RECORDER],
})
class RecorderModule {}

/** A Nest app whose EventConsumerHost consumes `options.handles` with `handler`, on a fresh namespace. */
async function startHost<T>(handler: Type<T>, options: Omit<MessagingOptions, 'service' | 'connection' | 'namespace'>) {
  const namespace = uniqueName('m');
  const mod = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({ service: 'spec', connection: { NATS_URL: servers }, namespace, ...options }),
      RecorderModule,
    ],
    providers: [handler],
  }).compile();
  const app = mod.createNestApplication({ logger: false });
  await app.init();
  const nc = await connect({ servers });
  const jsm = await jetstreamManager(nc);
  return {
    namespace,
    app,
    sut: app.get(handler),
    nc,
    jsm,
    async close() {
      await app.close();
      for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS', 'NODES'])
        await jsm.streams.delete(`${s === 'NODES' ? 'KV_' : ''}${namespace.toUpperCase()}_${s}`).catch(() => undefined);
      await nc.close();
    },
  };
}

/** Waits until the namespace's DEAD_LETTERS stream holds `count` messages; returns them in order. */
async function deadLetters(jsm: JetStreamManager, namespace: string, count: number) {
  const name = `${namespace.toUpperCase()}_DEAD_LETTERS`;
  await waitFor(async () => (await jsm.streams.info(name)).state.messages >= count, {
    what: `${count} dead letter(s)`,
  });
  return Promise.all(Array.from({ length: count }, (_, i) => jsm.streams.getMessage(name, { seq: i + 1 })));
}

describe('EventConsumerHost', () => {
  it('redelivers on failure, dead-letters after the limit or on a bad payload, and publishes once per id', async () => {
    const namespace = uniqueName('m');
    const mod = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          service: 'spec',
          connection,
          namespace,
          handles: [Subjects.CheckFailed],
          maxDeliver: 3,
          redeliveryBackoffMs: [50],
        }),
        RecorderModule,
      ],
      providers: [FlakyHandler],
    }).compile();
    const app = mod.createNestApplication({ logger: false });
    await app.init();
    const sut = app.get(FlakyHandler);
    const publisher = app.get(EventPublisher);
    const nc = await connect({ servers });
    const jsm = await jetstreamManager(nc);
    const alerts: Array<{ data: MessageDeadLetteredV1 }> = [];
    const alertSub = nc.subscribe(`${namespace}.${Subjects.MessageDeadLettered}`, {
      callback: (_e, m) => void alerts.push(m.json()),
    });
    try {
      const ok = await publisher.publish(Subjects.CheckFailed, payload, { id: 'evt-1' });
      await publisher.publish(Subjects.CheckFailed, payload, { id: 'evt-1' });
      await waitFor(() => sut.calls.length >= 3, { what: 'third delivery' });
      const poison = createEvent(Subjects.CheckFailed, { ...payload, reason: 'poison' }, { source: '/test' });
      await jetstream(nc).publish(`${namespace}.${Subjects.CheckFailed}`, JSON.stringify(poison), { msgID: poison.id });
      await jetstream(nc).publish(`${namespace}.${Subjects.CheckFailed}`, JSON.stringify({ not: 'a cloud event' }), {
        msgID: 'garbage',
      });
      const [first, second] = await deadLetters(jsm, namespace, 2);

      expect(sut.calls.filter((c) => c.id === ok.id)).toHaveLength(3);
      expect(sut.calls.filter((c) => c.id === poison.id)).toHaveLength(3);
      const reasons = [
        first?.header.get('Lockstep-Dead-Letter-Reason'),
        second?.header.get('Lockstep-Dead-Letter-Reason'),
      ];
      expect(reasons).toEqual(
        expect.arrayContaining(['cannot handle poison', expect.stringMatching(/^invalid message/)]),
      );
      // recorded right after its copy is stored: the second may still be on its way
      await waitFor(() => deadLettered.length >= 2, { what: 'both dead letters in the audit trail' });
      expect(deadLettered.map((d) => [d.service, d.subject, d.reason])).toEqual(
        expect.arrayContaining([
          ['spec', Subjects.CheckFailed, 'cannot handle poison'],
          ['spec', Subjects.CheckFailed, expect.stringMatching(/^invalid message/)],
        ]),
      );
      // each dead letter is announced once, naming what `dead-letters replay --message` takes
      await waitFor(() => alerts.length >= 2, { what: 'two message.dead_lettered alerts' });
      expect(alerts.map((a) => a.data).sort((a, b) => a.id.localeCompare(b.id))).toEqual([
        expect.objectContaining({
          kind: 'message',
          id: String(first!.seq),
          service: 'spec',
          subject: Subjects.CheckFailed,
        }),
        expect.objectContaining({
          kind: 'message',
          id: String(second!.seq),
          service: 'spec',
          subject: Subjects.CheckFailed,
        }),
      ]);
    } finally {
      alertSub.unsubscribe();
      await app.close();
      for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS'])
        await jsm.streams.delete(`${namespace.toUpperCase()}_${s}`).catch(() => undefined);
      await nc.close();
    }
  });

  it('hands a batch handler what arrived meanwhile; a failed batch is handled event by event, so only the bad one is dead-lettered', async () => {
    const namespace = uniqueName('m');
    const nc = await connect({ servers });
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await ensureStreams(jsm, namespace, 1);
    const reasons = ['ok-1', 'ok-2', 'poison', 'ok-3', 'ok-4'];
    for (const reason of reasons) {
      const e = createEvent(Subjects.CheckFailed, { ...payload, reason }, { source: '/test' });
      await js.publish(`${namespace}.${Subjects.CheckFailed}`, JSON.stringify(e), { msgID: e.id });
    }
    const mod = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          service: 'spec',
          connection,
          namespace,
          handles: [Subjects.CheckFailed],
          maxDeliver: 2,
          redeliveryBackoffMs: [50],
        }),
      ],
      providers: [BatchHandler],
    }).compile();
    const app = mod.createNestApplication({ logger: false });
    try {
      await app.init();
      const sut = app.get(BatchHandler);
      const dlq = `${namespace.toUpperCase()}_DEAD_LETTERS`;
      await waitFor(async () => (await jsm.streams.info(dlq)).state.messages >= 1, {
        what: 'the poison event dead-lettered',
      });
      // Longer than the redelivery backoff: an event that was not acked would be handled again meanwhile.
      await new Promise((r) => setTimeout(r, 300));
      const dead = await jsm.streams.getMessage(dlq, { seq: 1 });

      expect(sut.calls[0].length).toBeGreaterThan(1);
      expect([...new Set(sut.calls.flat())].sort()).toEqual([...reasons].sort());
      expect(sut.calls.filter((c) => c.length === 1 && c[0] === 'poison')).toHaveLength(2);
      for (const ok of reasons.filter((r) => r !== 'poison'))
        expect(sut.calls.filter((c) => c.includes(ok)).length).toBeLessThanOrEqual(2);
      expect((await jsm.streams.info(dlq)).state.messages).toBe(1);
      expect(JSON.parse(new TextDecoder().decode(dead!.data)).data.reason).toBe('poison');
    } finally {
      await app.close();
      for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS'])
        await jsm.streams.delete(`${namespace.toUpperCase()}_${s}`).catch(() => undefined);
      await nc.close();
    }
  });

  it('lets a batch handler linger for a trickle of events, calling it once for them', async () => {
    const namespace = uniqueName('m');
    const mod = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ service: 'spec', connection, namespace, handles: [Subjects.CheckFailed] })],
      providers: [LingeringHandler],
    }).compile();
    const app = mod.createNestApplication({ logger: false });
    await app.init();
    const sut = app.get(LingeringHandler);
    const publisher = app.get(EventPublisher);
    const nc = await connect({ servers });
    const jsm = await jetstreamManager(nc);
    try {
      for (const reason of ['t-1', 't-2', 't-3']) {
        await publisher.publish(Subjects.CheckFailed, { ...payload, reason });
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitFor(() => sut.calls.flat().length === 3, { what: 'all three events handled' });
      // one confirmed ack covers the batch: every event of it ends acknowledged
      const durable = `spec-${Subjects.CheckFailed.replace(/[.>*]/g, '_')}`;
      const consumer = await waitFor(
        async () => {
          const info = await jsm.consumers.info(`${namespace.toUpperCase()}_EVENTS`, durable);
          return info.num_ack_pending === 0 && info.ack_floor.stream_seq === 3 ? info : undefined;
        },
        { what: 'the three events acknowledged' },
      );

      expect(sut.calls).toEqual([['t-1', 't-2', 't-3']]);
      expect(consumer!.num_redelivered).toBe(0);
    } finally {
      await app.close();
      for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS'])
        await jsm.streams.delete(`${namespace.toUpperCase()}_${s}`).catch(() => undefined);
      await nc.close();
    }
  });

  it("takes a per-node event only from its node's subject: node a speaking for node b is dead-lettered, unhandled", async () => {
    const { namespace, sut, jsm, nc, close } = await startHost(InstallOutcomes, {
      handles: [Subjects.InstallFinished],
    });
    const outcome = (nodeId: string, commandId: string) =>
      createEvent(
        Subjects.InstallFinished,
        {
          commandId,
          rolloutId: 'r1',
          nodeId,
          component: 'demo',
          version: '1.1.0',
          runningVersion: '1.1.0',
          previousVersion: '1.0.0',
          result: 'succeeded',
          noop: false,
        },
        { source: '/test' },
      );
    try {
      const forged = outcome('node-b', 'c-forged');
      const own = outcome('node-a', 'c-own');
      // what node a's NATS user may publish: only under its own id
      for (const ev of [forged, own])
        await jetstream(nc).publish(
          `${namespace}.${eventWireSubject(Subjects.InstallFinished, 'node-a')}`,
          JSON.stringify(ev),
          { msgID: ev.id },
        );
      await waitFor(() => sut.calls.length >= 1, { what: "node a's own outcome handled" });
      const [letter] = await deadLetters(jsm, namespace, 1);
      expect(letter?.json<CloudEvent>().id).toBe(forged.id);
      expect(letter?.header.get('Lockstep-Dead-Letter-Reason')).toMatch(
        /published on node node-a's subject but names node node-b/,
      );
      expect(sut.calls.map((c) => c.id)).toEqual([own.id]);
    } finally {
      await close();
    }
  });

  it('never dead-letters because the database is down: it waits the outage out, then handles the event', async () => {
    const { namespace, app, sut, jsm, close } = await startHost(DatabaseBoundHandler, {
      handles: [Subjects.CheckFailed],
      maxDeliver: 2,
      redeliveryBackoffMs: [20],
    });
    try {
      const event = await app.get(EventPublisher).publish(Subjects.CheckFailed, payload);
      // three times the budget of a handler's own failures
      await waitFor(() => sut.calls >= 6, { what: 'deliveries during the outage' });
      // the deliveries of the outage do not count: one failure of its own afterwards is within the budget
      sut.ownFailures = 1;
      sut.up = true;
      await waitFor(() => sut.handled.length >= 1, { what: 'the event handled once the database is back' });

      const dlq = await jsm.streams.info(`${namespace.toUpperCase()}_DEAD_LETTERS`);
      expect(sut.handled).toEqual([event.id]);
      expect(dlq.state.messages).toBe(0);
    } finally {
      await close();
    }
  });

  it('dead-letters an event whose handling ends its own database connection every time, after the larger budget', async () => {
    const { namespace, app, sut, jsm, close } = await startHost(BackendCrashingHandler, {
      handles: [Subjects.CheckFailed],
      maxDeliver: 2,
      maxConnectionLosses: 4,
      redeliveryBackoffMs: [20],
    });
    try {
      await app.get(EventPublisher).publish(Subjects.CheckFailed, payload);

      const [letter] = await deadLetters(jsm, namespace, 1);
      expect(sut.calls).toBe(4);
      expect(letter?.header.get('Lockstep-Dead-Letter-Reason')).toMatch(/query failed/);
      expect(letter?.header.get('Lockstep-Dead-Letter-Service')).toBe('spec');
    } finally {
      await close();
    }
  });

  it('refuses to start when a declared subject has no handler', async () => {
    const mod = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          service: 'spec',
          connection,
          namespace: uniqueName('m'),
          handles: [Subjects.ReleaseAvailable],
        }),
      ],
    }).compile();
    const app = mod.createNestApplication({ logger: false });

    await expect(app.init()).rejects.toThrow(HandlerRegistrationError);
    await app.close();
  });
});
