import { FleetBuckets } from '@lockstep/contracts';
import { NatsClient } from '@lockstep/messaging';
import { uniqueName } from '@lockstep/testing';
import { Kvm } from '@nats-io/kv';
import { apiSchema } from '../api.config';
import { NodesRepository } from './nodes.repository';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];

describe(`${NodesRepository.name} on nats-server`, () => {
  let nats: NatsClient;
  let namespace: string;

  beforeEach(async () => {
    namespace = uniqueName('apind');
    nats = new NatsClient({ service: 'api-int', connection: { NATS_URL: servers }, namespace, handles: [] });
    await nats.connect();
  });
  afterEach(async () => {
    await nats.jsm.streams.delete(`KV_${namespace.toUpperCase()}_${FleetBuckets.Nodes}`).catch(() => undefined);
    await nats.onApplicationShutdown();
  });

  it('lists the records agents put in the NODES bucket, sorted, those past API_NODE_LOST_AFTER lost', async () => {
    const kv = await new Kvm(nats.nc).create(`${namespace.toUpperCase()}_${FleetBuckets.Nodes}`, { history: 1 });
    const record = (id: string, seenAt: string) =>
      JSON.stringify({
        id,
        hostname: `${id}.local`,
        labels: {},
        components: { demo: '1.0.0' },
        agentVersion: '0.1.0',
        seenAt,
        state: 'idle',
      });
    await kv.put('node-2', record('node-2', new Date(Date.now() - 60_000).toISOString()));
    await kv.put('node-1', record('node-1', new Date().toISOString()));
    await kv.put('garbage', '{"not":"a node"}');
    const sut = new NodesRepository(nats, apiSchema.parse({ API_NODE_LOST_AFTER: '5s' }));

    const nodes = await sut.list();

    expect(nodes.map((n) => [n.record.id, n.lost])).toEqual([
      ['node-1', false],
      ['node-2', true],
    ]);
  });
});
