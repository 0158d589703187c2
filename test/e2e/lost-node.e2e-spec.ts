import type { NodeRemovedV1, NodeView, RolloutDetail } from '@lockstep/contracts';
import { jsonOf, runCli, startHttpReceiver, waitFor, type HttpReceiver, type ServiceProcess } from '@lockstep/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { collectEvents } from '../support/control-plane';
import { TestFleet } from '../support/fleet';

/**
 * Issue 12, defect 12: a node that is gone no longer blocks a rollout of the whole fleet. One of
 * three agents dies; the scheduler announces node.lost (a webhook subscribed to it gets it); a
 * rollout of every node runs on the two left and says which node it left out and why; the
 * operator removes the dead node with the CLI, through the API and the scheduler, as themselves.
 */
describe('a lost node (scheduler, api, notifier, three agents; real NATS with least-privilege users, Postgres, S3)', () => {
  let fleet: TestFleet;
  let api: ServiceProcess;
  let receiver: HttpReceiver;
  let cli: (...args: string[]) => ReturnType<typeof runCli>;

  beforeAll(async () => {
    fleet = await TestFleet.start();
    await fleet.publish('1.1.0');
    [api] = await Promise.all([
      fleet.startService('api'),
      fleet.startService('notifier', { NOTIFIER_ALLOWED_DESTINATIONS: 'loopback', NOTIFIER_POLL_INTERVAL: '100ms' }),
    ]);
    receiver = await startHttpReceiver();
    cli = (...args: string[]) => runCli(args, { LOCKSTEP_API_URL: api.url, LOCKSTEP_TOKEN: api.token! });
    await fleet.addNodes(3);
    const first = await fleet.rollout({ version: '1.0.0', maxParallel: 3 });
    expect(await fleet.waitForState(first, ['succeeded', 'failed', 'rolled_back'])).toMatchObject({
      state: 'succeeded',
    });
  });
  afterAll(async () => {
    await receiver?.stop();
    await fleet?.stop();
  });

  it('announces node.lost, leaves the dead node out of a whole-fleet rollout with why, and removes it', async () => {
    const subscribed = await cli(
      'subscriptions',
      'add',
      '--channel',
      'webhook',
      '--url',
      `${receiver.url}/hook`,
      '--events',
      'node.lost',
      '--json',
    );
    expect(subscribed).toMatchObject({ code: 0 });
    const seen = await collectEvents(fleet.dep);

    await fleet.nodes[2].proc.kill('SIGKILL');
    const lost = await waitFor(() => seen.events.find((e) => e.type === 'io.lockstep.node.lost.v1'), {
      what: 'node.lost on NATS',
      timeoutMs: 20_000,
      intervalMs: 100,
    }).then((e) => e!);
    const id = await fleet.rollout({ version: '1.1.0', maxParallel: 2 });
    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back']);
    const shown = jsonOf<RolloutDetail>(await cli('rollouts', 'show', id, '--json'));
    const [hook] = await receiver.waitForRequests(1, 15_000);
    const alive = await cli('nodes', 'rm', 'node-1');
    const removed = await cli('nodes', 'rm', 'node-3', '--json');
    const listed = jsonOf<NodeView[]>(await cli('nodes', '--json'));
    const again = await cli('nodes', 'rm', 'node-3');
    await seen.stop();

    expect(lost.data).toMatchObject({ nodeId: 'node-3', hostname: expect.any(String) });
    expect(seen.events.filter((e) => e.type === 'io.lockstep.node.lost.v1')).toHaveLength(1);
    expect(final.state).toBe('succeeded');
    expect(shown.nodes.map((n) => [n.nodeId, n.status])).toEqual([
      ['node-1', 'succeeded'],
      ['node-2', 'succeeded'],
    ]);
    const reason = `lost since ${String(lost.data.lastSeenAt)} (no heartbeat since then)`;
    expect(shown.skipped).toEqual([{ nodeId: 'node-3', reason }]);
    const planned = seen.events.find(
      (e) => e.type === 'io.lockstep.rollout.changed.v1' && e.data.rolloutId === id && e.data.state === 'planned',
    );
    expect(planned?.data.skipped).toEqual([{ nodeId: 'node-3', reason }]);
    expect(JSON.parse(String(hook.body))).toMatchObject({
      type: 'io.lockstep.node.lost.v1',
      data: { nodeId: 'node-3' },
    });
    expect(alive.code).toBe(1);
    expect(alive.stderr).toMatch(/node node-1 still heart-beats .*--force/);
    expect(removed.code).toBe(0);
    expect(jsonOf<NodeRemovedV1>(removed)).toEqual({
      nodeId: 'node-3',
      lastSeenAt: lost.data.lastSeenAt,
      wasLost: true,
      consumerDeleted: true,
    });
    expect(listed.map((n) => n.id)).toEqual(['node-1', 'node-2']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/node node-3 is not in the fleet/);
    const consumers = await (
      await jetstreamManager(fleet.dep.nc)
    ).consumers
      .list(`${fleet.dep.namespace.toUpperCase()}_COMMANDS`)
      .next();
    expect(consumers.map((c) => c.name).sort()).toEqual(['installer-node-1', 'installer-node-2']);
    const { rows: audit } = await fleet.dep.pg.query(
      `SELECT action, actor_kind, role FROM audit_log WHERE target = 'node-3' ORDER BY id`,
    );
    expect(audit).toEqual([{ action: 'node.removed', actor_kind: 'token', role: 'owner' }]);
    expect(fleet.natsViolations()).toEqual([]);
  });
});
