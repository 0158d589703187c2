import { startNatsCluster, type NatsClusterHandle } from '@lockstep/testing';
import { TestFleet } from '../support/fleet';

describe('rolling update on a 3-node NATS cluster', () => {
  let cluster: NatsClusterHandle;
  let fleet: TestFleet;

  beforeAll(async () => {
    cluster = await startNatsCluster({ size: 3 });
    fleet = await TestFleet.start({ natsUrls: cluster.urls });
    await fleet.publish('1.1.0');
    await fleet.addNodes(3);
    const first = await fleet.rollout({ version: '1.0.0', maxParallel: 3 });
    expect(await fleet.waitForState(first, ['succeeded', 'failed', 'rolled_back'])).toMatchObject({
      state: 'succeeded',
    });
  });
  afterAll(async () => {
    await fleet?.stop();
    await cluster?.stop();
  });

  it('completes when one NATS server is killed mid-rollout', async () => {
    const id = await fleet.rollout({ version: '1.1.0', maxParallel: 1, minHealthyMs: 800, progressDeadlineMs: 90_000 });
    await fleet.waitForState(id, ['running']);
    await fleet.dep.pg.query('SELECT 1');
    const { rows } = await new Promise<{ rows: unknown[] }>((resolve) => {
      const poll = async () => {
        const r = await fleet.dep.pg.query(
          `SELECT node_id FROM rollout_nodes WHERE rollout_id = $1 AND status = 'succeeded'`,
          [id],
        );
        if (r.rows.length >= 1) resolve(r);
        else setTimeout(() => void poll(), 100);
      };
      void poll();
    });

    await cluster.servers[0].kill('SIGKILL');
    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back'], 150_000);
    const versions = await Promise.all(fleet.nodes.map((n) => n.version()));

    expect(rows.length).toBeGreaterThanOrEqual(1);
    if (final.state !== 'succeeded') console.log(JSON.stringify({ final, nodes: await fleet.nodeRows(id) }, null, 1));
    expect({ state: final.state, reason: final.reason, nodes: await fleet.nodeRows(id) }).toMatchObject({
      state: 'succeeded',
    });
    expect(versions).toEqual(['1.1.0', '1.1.0', '1.1.0']);
  });
});
