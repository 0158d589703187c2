import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Subjects, createEvent, type CloudEvent } from '@lockstep/contracts';
import { EventPublisher, HandlerRegistrationError, MessagingModule, OnEvent, Outcome } from '@lockstep/messaging';
import { uniqueName, waitFor } from '@lockstep/testing';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];
const payload = { component: 'demo', source: 'tuf', code: 'SOURCE_UNREACHABLE', reason: 'down' };

@Injectable()
class FlakyHandler {
  calls: CloudEvent[] = [];
  failFirst = 2;
  @OnEvent(Subjects.CheckFailed)
  handle(event: CloudEvent) {
    this.calls.push(event);
    if (event.data && (event.data as { reason: string }).reason === 'poison') throw new Error('cannot handle poison');
    if (this.calls.length <= this.failFirst) return Outcome.retry('not yet', 50);
  }
}

describe('EventConsumerHost', () => {
  it('redelivers on failure, dead-letters after the limit or on a bad payload, and publishes once per id', async () => {
    const namespace = uniqueName('m');
    const mod = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ service: 'spec', servers, namespace, handles: [Subjects.CheckFailed], maxDeliver: 3, redeliveryBackoffMs: [50] })],
      providers: [FlakyHandler],
    }).compile();
    const app = mod.createNestApplication({ logger: false });
    await app.init();
    const sut = app.get(FlakyHandler);
    const publisher = app.get(EventPublisher);
    const nc = await connect({ servers });
    const jsm = await jetstreamManager(nc);
    try {
      const ok = await publisher.publish(Subjects.CheckFailed, payload, { id: 'evt-1' });
      await publisher.publish(Subjects.CheckFailed, payload, { id: 'evt-1' });
      await waitFor(() => sut.calls.length >= 3, { what: 'third delivery' });
      const poison = createEvent(Subjects.CheckFailed, { ...payload, reason: 'poison' }, { source: '/test' });
      await jetstream(nc).publish(`${namespace}.${Subjects.CheckFailed}`, JSON.stringify(poison), { msgID: poison.id });
      await jetstream(nc).publish(`${namespace}.${Subjects.CheckFailed}`, JSON.stringify({ not: 'a cloud event' }), { msgID: 'garbage' });
      const dlq = await waitFor(async () => {
        const info = await jsm.streams.info(`${namespace.toUpperCase()}_DEAD_LETTERS`);
        return info.state.messages >= 2 ? info : undefined;
      }, { what: 'two dead letters' });
      const first = await jsm.streams.getMessage(dlq!.config.name, { seq: 1 });
      const second = await jsm.streams.getMessage(dlq!.config.name, { seq: 2 });

      expect(sut.calls.filter((c) => c.id === ok.id)).toHaveLength(3);
      expect(sut.calls.filter((c) => c.id === poison.id)).toHaveLength(3);
      const reasons = [first?.header.get('Lockstep-Dead-Letter-Reason'), second?.header.get('Lockstep-Dead-Letter-Reason')];
      expect(reasons).toEqual(expect.arrayContaining(['cannot handle poison', expect.stringMatching(/^invalid message/)]));
    } finally {
      await app.close();
      for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS']) await jsm.streams.delete(`${namespace.toUpperCase()}_${s}`).catch(() => undefined);
      await nc.close();
    }
  });

  it('refuses to start when a declared subject has no handler', async () => {
    const mod = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ service: 'spec', servers, namespace: uniqueName('m'), handles: [Subjects.ReleaseAvailable] })],
    }).compile();
    const app = mod.createNestApplication({ logger: false });

    await expect(app.init()).rejects.toThrow(HandlerRegistrationError);
    await app.close();
  });
});
