import { DeadLetterHeaders, NodeSubjects } from '@lockstep/contracts';
import { uniqueName, waitFor } from '@lockstep/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { CommandConsumer, nodeCommandConsumerOptions } from './command-consumer';
import { ensureStreams } from './jetstream-topology';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];

describe(`${CommandConsumer.name} (nats-server)`, () => {
  it('dead-letters a message that is no command with the reason, its subject and the consumer that gave up', async () => {
    const namespace = uniqueName('cc');
    const nc = await connect({ servers });
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, namespace, 1);
    const sut = new CommandConsumer(
      js,
      jsm,
      { ...nodeCommandConsumerOptions(namespace, 'a'), service: 'agent-a' },
      async () => ({ kind: 'invalid', reason: 'not an InstallCommandV1' }),
      { error: () => undefined },
    );
    try {
      await sut.ensure();
      sut.start();
      await js.publish(`${namespace}.${NodeSubjects.install('a')}`, JSON.stringify({ hello: 'world' }));

      const dlq = `${namespace.toUpperCase()}_DEAD_LETTERS`;
      await waitFor(async () => (await jsm.streams.info(dlq)).state.messages === 1, { what: 'the dead letter' });
      const letter = await jsm.streams.getMessage(dlq, { seq: 1 });

      expect(letter?.subject).toBe(`${namespace}.dlq.${NodeSubjects.install('a')}`);
      expect(letter?.json()).toEqual({ hello: 'world' });
      expect([
        letter?.header.get(DeadLetterHeaders.Reason),
        letter?.header.get(DeadLetterHeaders.OriginalSubject),
        letter?.header.get(DeadLetterHeaders.Service),
      ]).toEqual(['not an InstallCommandV1', `${namespace}.${NodeSubjects.install('a')}`, 'agent-a']);
    } finally {
      await sut.stop();
      for (const s of ['EVENTS', 'COMMANDS', 'DEAD_LETTERS'])
        await jsm.streams.delete(`${namespace.toUpperCase()}_${s}`).catch(() => undefined);
      await nc.close();
    }
  });
});
