import { FleetBuckets, type NodeRecordV1 } from '@lockstep/contracts';
import { NodeDirectory, NodeRecordChangedError } from '@lockstep/messaging';
import { uniqueName, waitFor } from '@lockstep/testing';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

const servers = [process.env.LOCKSTEP_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'];

const record = (id: string, version: string, seenAgoMs = 0): NodeRecordV1 => ({
  id,
  hostname: id,
  labels: {},
  components: { demo: version },
  manages: ['demo'],
  agentVersion: '1',
  seenAt: new Date(Date.now() - seenAgoMs).toISOString(),
  state: 'idle',
});

describe(NodeDirectory.name, () => {
  let nc: NatsConnection;
  let namespace: string;
  let kv: KV;
  let sut: NodeDirectory;

  beforeEach(async () => {
    nc = await connect({ servers });
    namespace = uniqueName('nd');
    kv = await new Kvm(nc).create(`${namespace.toUpperCase()}_${FleetBuckets.Nodes}`, { history: 1 });
    await kv.put('n2', JSON.stringify(record('n2', '1.0.0')));
    await kv.put('n1', JSON.stringify(record('n1', '1.0.0', 60_000)));
    await kv.put('junk', '{"not":"a node"}');
    sut = new NodeDirectory(() => nc, namespace, { lostAfterMs: 10_000 });
  });
  afterEach(async () => {
    await sut.close();
    await kv.destroy().catch(() => undefined);
    await nc.close();
  });

  const versions = async () =>
    (await sut.list()).map((e) => `${e.record.id}@${e.record.components.demo}${e.lost ? ' lost' : ''}`);

  it('reads every node once, sorted, with stale heartbeats marked lost and invalid records skipped', async () => {
    const listed = await versions();

    expect(listed).toEqual(['n1@1.0.0 lost', 'n2@1.0.0']);
  });

  it('once watching, answers from the live copy: new records, rewrites and deletions show at once', async () => {
    await sut.watch();
    await waitFor(async () => (await versions()).length === 2, { what: 'the initial records' });

    await kv.put('n3', JSON.stringify(record('n3', '1.0.0')));
    await kv.put('n2', JSON.stringify(record('n2', '1.1.0')));
    await kv.delete('n1');
    await waitFor(async () => (await versions()).join() === 'n2@1.1.0,n3@1.0.0', {
      what: 'the watch to deliver the writes',
      timeoutMs: 5000,
    });
    const listed = await versions();

    expect(listed).toEqual(['n2@1.1.0', 'n3@1.0.0']);
  });

  it('reads the bucket again after close()', async () => {
    await sut.watch();
    await sut.close();
    await kv.put('n4', JSON.stringify(record('n4', '1.0.0')));

    const listed = await versions();

    expect(listed).toEqual(['n1@1.0.0 lost', 'n2@1.0.0', 'n4@1.0.0']);
  });

  it('removes a record only at the revision it was read at: a heartbeat since keeps it', async () => {
    await sut.watch();
    const lost = await sut.find('n1');
    const alive = await sut.find('n2');
    await kv.put('n2', JSON.stringify(record('n2', '1.0.0')));

    await sut.remove('n1', lost!.revision);
    const refused = sut.remove('n2', alive!.revision);

    await expect(refused).rejects.toThrow(NodeRecordChangedError);
    await waitFor(async () => (await versions()).join() === 'n2@1.0.0', {
      what: 'the watch to drop n1',
      timeoutMs: 5000,
    });
    expect({ lost: lost?.lost, gone: await sut.find('n1') }).toEqual({ lost: true, gone: undefined });
  });
});
