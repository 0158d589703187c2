import { CommandRefusal, NodeSubjects, type InstallCommandV1 } from '@lockstep/contracts';
import { waitFor, type ServiceProcess } from '@lockstep/testing';
import { jetstream } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { collectEvents } from '../support/control-plane';
import { TestFleet } from '../support/fleet';

/** Polls every node's app throughout and remembers the most nodes down at once. */
function startProber(fleet: TestFleet) {
  let maxDown = 0;
  let samples = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const versions = await Promise.all(fleet.nodes.map((n) => n.version()));
      maxDown = Math.max(maxDown, versions.filter((v) => v === undefined).length);
      samples++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { maxDown, samples };
    },
  };
}

describe('rolling updates (scheduler + five agents + demo app, real NATS/Postgres/S3)', () => {
  let fleet: TestFleet;

  beforeAll(async () => {
    fleet = await TestFleet.start();
    await fleet.publish('1.1.0');
    await fleet.publish('1.2.0', { broken: true });
    await fleet.publish('1.3.0');
    await fleet.publish('1.4.0');
    await fleet.addNodes(5);
    const first = await fleet.rollout({ version: '1.0.0', maxParallel: 5 });
    expect(await fleet.waitForState(first, ['succeeded', 'failed', 'rolled_back'])).toMatchObject({
      state: 'succeeded',
    });
  });
  afterAll(() => fleet.stop());

  it('rolls five nodes from 1.0.0 to 1.1.0 two at a time: never more than 2 down, all end at 1.1.0', async () => {
    const prober = startProber(fleet);

    const id = await fleet.rollout({ version: '1.1.0', maxParallel: 2 });
    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back']);
    const { maxDown, samples } = await prober.stop();
    const versions = await Promise.all(fleet.nodes.map((n) => n.version()));
    const rows = await fleet.nodeRows(id);

    expect(final.state).toBe('succeeded');
    expect(samples).toBeGreaterThan(10);
    expect(maxDown).toBeLessThanOrEqual(2);
    expect(versions).toEqual(['1.1.0', '1.1.0', '1.1.0', '1.1.0', '1.1.0']);
    expect(new Set(rows.map((r) => r.batch)).size).toBe(3);
    // what the checker announces new releases against follows the fleet (issue 12, defect 11)
    const { rows: component } = await fleet.dep.pg.query(`SELECT current_version FROM components WHERE name = 'demo'`);
    expect(component).toEqual([{ current_version: '1.1.0' }]);
  });

  it("a current version that no longer matches the nodes (a stale registration) follows them on the scheduler's next look", async () => {
    const current = async () =>
      (await fleet.dep.pg.query(`SELECT current_version FROM components WHERE name = 'demo'`)).rows[0].current_version;
    await fleet.dep.pg.query(`UPDATE components SET current_version = '0.9.0' WHERE name = 'demo'`);

    const followed = await waitFor(async () => ((await current()) === '0.9.0' ? undefined : current()), {
      what: 'the current version to follow the nodes',
    });
    const { rows: audited } = await fleet.dep.pg.query(
      `SELECT actor_kind, actor_id, params FROM audit_log WHERE action = 'component.version-followed' AND params->>'from' = '0.9.0'`,
    );

    expect(followed).toBe('1.1.0');
    expect(audited).toEqual([
      { actor_kind: 'system', actor_id: 'scheduler', params: { from: '0.9.0', to: '1.1.0', seen: 'fleet', nodes: 5 } },
    ]);
  });

  it('a broken 1.2.0 fails on the canary, is rolled back there, and touches no other node', async () => {
    const seen = await collectEvents(fleet.dep);

    const id = await fleet.rollout({ version: '1.2.0', maxParallel: 2, canary: 1 });
    // With auto-rollback, `failed` is followed by `rolled_back` once the updated nodes are back.
    const final = await fleet.waitForState(id, ['succeeded', 'rolled_back']);
    const rows = await fleet.nodeRows(id);
    const versions = await Promise.all(fleet.nodes.map((n) => n.version()));
    await new Promise((r) => setTimeout(r, 300));
    await seen.stop();

    expect(final.state).toBe('rolled_back');
    expect(final.reason).toMatch(/node-1/);
    expect(rows.find((r) => r.node_id === 'node-1')).toMatchObject({ status: 'rolled_back', batch: 0 });
    expect(rows.filter((r) => r.node_id !== 'node-1').every((r) => r.status === 'pending')).toBe(true);
    expect(versions).toEqual(['1.1.0', '1.1.0', '1.1.0', '1.1.0', '1.1.0']);
    const story = seen.events
      .filter(
        (e) =>
          (e.type.includes('rollout.changed') && (e.data as { rolloutId: string }).rolloutId === id) ||
          (e.type.includes('install.finished') && (e.data as { rolloutId: string }).rolloutId === id),
      )
      .map((e) =>
        e.type.includes('rollout.changed')
          ? `rollout:${(e.data as { state: string }).state}`
          : `${(e.data as { nodeId: string }).nodeId}:${(e.data as { result: string }).result}`,
      );
    expect(story).toEqual([
      'rollout:planned',
      'rollout:running',
      'node-1:rolled_back',
      'rollout:failed',
      'rollout:rolled_back',
    ]);
    const { rows: audit } = await fleet.dep.pg.query(
      `SELECT action, actor_kind, actor_id FROM audit_log WHERE target = $1 ORDER BY id`,
      [id],
    );
    expect(audit).toEqual([
      { action: 'rollout.create', actor_kind: 'system', actor_id: 'e2e-fleet' },
      { action: 'rollout.auto-rollback', actor_kind: 'system', actor_id: 'scheduler' },
    ]);
  });

  /** Which scheduler process conducts a rollout, once it has started at least `done` nodes. */
  const conductorOf = async (id: string, done: number): Promise<ServiceProcess> =>
    waitFor(
      async () => {
        const { rows } = await fleet.dep.pg.query(
          `SELECT r.conductor, (SELECT count(*)::int FROM rollout_nodes n WHERE n.rollout_id = r.id AND n.status = 'succeeded') AS ok FROM rollouts r WHERE r.id = $1`,
          [id],
        );
        if (!rows[0]?.conductor || rows[0].ok < done) return undefined;
        return fleet.procs.find((p) => p.name === 'scheduler' && rows[0].conductor.endsWith(`-${p.proc.pid}`));
      },
      { timeoutMs: 60_000, what: 'a conductor with progress' },
    ).then((p) => p!);

  /** Install outcomes per node for a rollout (noops are re-published outcomes of the same command). */
  const executions = (events: Array<{ type: string; data: Record<string, unknown> }>, id: string) =>
    events
      .filter(
        (e) =>
          e.type.includes('install.finished') &&
          e.data.rolloutId === id &&
          !e.data.noop &&
          e.data.result !== 'rejected',
      )
      .map((e) => String(e.data.nodeId));

  it('a second scheduler replica takes over a SIGKILLed conductor after the lease and completes the rollout; no node installs twice', async () => {
    await fleet.startScheduler();
    const seen = await collectEvents(fleet.dep);

    const id = await fleet.rollout({ version: '1.3.0', maxParallel: 1, minHealthyMs: 800 });
    const first = await conductorOf(id, 1);
    await first.kill('SIGKILL');
    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back']);
    const { rows } = await fleet.dep.pg.query(`SELECT conductor FROM rollouts WHERE id = $1`, [id]);
    const versions = await Promise.all(fleet.nodes.map((n) => n.version()));
    await seen.stop();

    expect(final.state).toBe('succeeded');
    expect(rows[0].conductor.endsWith(`-${first.proc.pid}`)).toBe(false);
    expect(versions).toEqual(['1.3.0', '1.3.0', '1.3.0', '1.3.0', '1.3.0']);
    expect(executions(seen.events, id).sort()).toEqual(['node-1', 'node-2', 'node-3', 'node-4', 'node-5']);
    const { rows: takeovers } = await fleet.dep.pg.query(
      `SELECT params FROM audit_log WHERE action = 'lock.takeover' AND params->>'rolloutId' = $1`,
      [id],
    );
    expect(takeovers).toEqual([
      {
        params: expect.objectContaining({ rolloutId: id, fromConductor: expect.stringMatching(`-${first.proc.pid}$`) }),
      },
    ]);
  });

  it('a conductor SIGSTOPped past its lease is fenced off: after SIGCONT no agent acts on its commands and the rollout completes once', async () => {
    if (
      fleet.procs.filter((p) => p.name === 'scheduler' && p.proc.exitCode === null && p.proc.signalCode === null)
        .length < 2
    )
      await fleet.startScheduler();
    const seen = await collectEvents(fleet.dep);

    const id = await fleet.rollout({ version: '1.4.0', maxParallel: 1, minHealthyMs: 800 });
    const first = await conductorOf(id, 1);
    first.proc.kill('SIGSTOP');
    await waitFor(
      async () => {
        const { rows } = await fleet.dep.pg.query(`SELECT conductor FROM rollouts WHERE id = $1`, [id]);
        return !rows[0].conductor.endsWith(`-${first.proc.pid}`);
      },
      { timeoutMs: 30_000, what: 'another replica to take over' },
    );
    first.proc.kill('SIGCONT');
    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back']);
    await new Promise((r) => setTimeout(r, 1000));
    await seen.stop();
    const versions = await Promise.all(fleet.nodes.map((n) => n.version()));

    expect(final.state).toBe('succeeded');
    expect(versions).toEqual(['1.4.0', '1.4.0', '1.4.0', '1.4.0', '1.4.0']);
    expect(executions(seen.events, id).sort()).toEqual(['node-1', 'node-2', 'node-3', 'node-4', 'node-5']);
    expect(
      seen.events.filter(
        (e) => e.type.includes('rollout.changed') && e.data.rolloutId === id && e.data.state === 'succeeded',
      ),
    ).toHaveLength(1);
    expect(first.output()).toMatch(/lost|LockLost|stopped issuing/i);
  });

  it('forged commands are refused with their reasons and change nothing; a real rollout right after succeeds on that node', async () => {
    const node = fleet.nodes[0];
    const fence = () => readFileSync(join(node.dir, 'state', 'fencing.json'), 'utf8');
    const fenceBefore = fence();
    const currentBefore = readlinkSync(join(node.dir, 'current'));
    const artifact = (await fleet.dep.pg.query(`SELECT artifact FROM rollouts WHERE target_version = '1.1.0' LIMIT 1`))
      .rows[0].artifact as InstallCommandV1['artifact'];
    const forged = (over: Partial<InstallCommandV1>): InstallCommandV1 => ({
      commandId: randomUUID(),
      rolloutId: randomUUID(),
      nodeId: node.id,
      component: 'demo',
      version: '1.1.0',
      action: 'install',
      artifact,
      fencingToken: Number.MAX_SAFE_INTEGER,
      lockKey: 'cluster',
      health: { minHealthyMs: 100, deadlineMs: 5000 },
      issuedAt: new Date().toISOString(),
      ...over,
    });
    const cases: Array<[InstallCommandV1, CommandRefusal]> = [
      // no rollout runs now, so nobody holds the lock: a forged token has no holder to match
      [forged({}), CommandRefusal.NoLiveHolder],
      [forged({ lockKey: 'made-up' }), CommandRefusal.UnknownLockKey],
      [forged({ issuedAt: new Date(Date.now() - 3600_000).toISOString() }), CommandRefusal.Expired],
      [forged({ nodeId: fleet.nodes[1].id }), CommandRefusal.WrongNode],
    ];
    const seen = await collectEvents(fleet.dep);

    for (const [cmd] of cases)
      await jetstream(fleet.dep.nc).publish(
        `${fleet.dep.namespace}.${NodeSubjects.install(node.id)}`,
        JSON.stringify(cmd),
        { msgID: cmd.commandId },
      );
    const outcomes = await waitFor(
      () => {
        const found = cases.map(
          ([cmd]) =>
            seen.events.find((e) => e.type.includes('install.finished') && e.data.commandId === cmd.commandId)?.data,
        );
        return found.every(Boolean) ? found : undefined;
      },
      { what: 'the outcomes of the forged commands' },
    );
    const fenceAfterForged = fence();
    const currentAfterForged = readlinkSync(join(node.dir, 'current'));
    await fleet.publish('1.5.0');
    const id = await fleet.rollout({ version: '1.5.0', maxParallel: 5 });
    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back']);
    await seen.stop();

    expect(outcomes!.map((o) => [o!.result, o!.refusal])).toEqual(cases.map(([, refusal]) => ['rejected', refusal]));
    expect(outcomes!.every((o) => o!.runningVersion === '1.4.0')).toBe(true);
    expect(final.state).toBe('succeeded');
    expect(await node.version()).toBe('1.5.0');
    expect(fenceAfterForged).toBe(fenceBefore);
    expect(currentAfterForged).toBe(currentBefore);
    expect(currentBefore).toBe('releases/1.4.0');
  });

  it('ran every service and agent as its own least-privilege NATS user: the server refused nothing they did', () => {
    expect(fleet.natsViolations()).toEqual([]);
  });
});
