import type { InstallCommandV1 } from '@lockstep/contracts';
import { jsonOf, runCli, waitFor, type ServiceProcess } from '@lockstep/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/nats-core';
import { collectEvents } from '../support/control-plane';
import { TestFleet } from '../support/fleet';

/**
 * Flows never exercised end to end before (issue 12, acceptance 3): pause, resume and abort
 * through the CLI against the real scheduler, a failure budget above zero, the automatic revert
 * of nodes earlier batches updated, `lockstep downgrade --to`, and a node frozen past the
 * progress deadline whose install is withdrawn. Every command the scheduler sends is watched on
 * NATS (`cmd.node.>`), so "no command after pause/abort" is what the wire shows.
 *
 * Nodes: node-1 (canary label), node-2 (whose every install fails its preflight: it asks for more
 * free disk than any machine has), node-3, node-4; all start on 1.0.0.
 */
describe('rollout control (scheduler, api, CLI, four agents; real NATS/Postgres/S3)', () => {
  let fleet: TestFleet;
  let api: ServiceProcess;
  let sub: Subscription;
  /** Every node command published, in order, with when the test saw it. */
  const commands: Array<InstallCommandV1 & { seenAt: number }> = [];

  const cli = (...args: string[]) =>
    runCli([...args, '--json'], { LOCKSTEP_API_URL: api.url, LOCKSTEP_TOKEN: api.token! }, { timeoutMs: 120_000 });
  /** Starts `lockstep <direction> --component demo --to <version> <flags>`; returns the rollout id. */
  const start = async (direction: 'upgrade' | 'downgrade', version: string, ...flags: string[]) => {
    const run = await cli(direction, '--component', 'demo', '--to', version, '--canary', '0', ...flags);
    const created = jsonOf<{ rolloutId?: string }>(run);
    if (!created.rolloutId) throw new Error(`no rollout started: ${run.stdout} ${run.stderr}`);
    return created.rolloutId;
  };
  const commandsOf = (rolloutId: string) => commands.filter((c) => c.rolloutId === rolloutId);
  const row = async (rolloutId: string, nodeId: string) =>
    (await fleet.nodeRows(rolloutId)).find((r) => r.node_id === nodeId);
  const versions = () => Promise.all(fleet.nodes.map((n) => n.version()));
  /**
   * Nothing can prove a command never comes; the conductor looks at the rollout every 250 ms, so
   * watching the wire for 2 s after the rollout settled is six of its looks.
   */
  const quietPeriod = () => new Promise((r) => setTimeout(r, 2000));

  /**
   * Starts an upgrade of node-1, node-3 and node-4 one at a time (each takes over 6 s), runs
   * `lockstep rollouts <action>` while node-1's batch runs, waits for node-1's outcome and watches
   * the wire for the quiet period.
   */
  const actWhileFirstBatchRuns = async (version: string, action: 'pause' | 'abort') => {
    const id = await start(
      'upgrade',
      version,
      '--nodes',
      'node-1,node-3,node-4',
      '--max-parallel',
      '1',
      '--min-healthy',
      '6s',
    );
    await waitFor(async () => commandsOf(id).length > 0, { what: 'the first batch sent' });
    const acted = jsonOf<{ state: string }>(await cli('rollouts', action, id));
    await waitFor(async () => (await row(id, 'node-1'))?.status === 'succeeded', {
      what: 'node-1 done',
      timeoutMs: 60_000,
    });
    await quietPeriod();
    return { id, acted };
  };

  beforeAll(async () => {
    fleet = await TestFleet.start();
    for (const v of ['1.1.0', '1.3.0', '1.4.0']) await fleet.publish(v);
    await fleet.addNodes(4);
    api = await fleet.startService('api');
    sub = fleet.dep.nc.subscribe(`${fleet.dep.namespace}.cmd.node.>`, {
      callback: (_err, m) => void commands.push({ ...m.json<InstallCommandV1>(), seenAt: Date.now() }),
    });
    // generous deadlines: four first installs at once on a busy machine
    const first = await fleet.rollout({
      version: '1.0.0',
      maxParallel: 4,
      healthyDeadlineMs: 60_000,
      progressDeadlineMs: 120_000,
    });
    const settled = await fleet.waitForState(first, ['succeeded', 'failed', 'rolled_back']);
    if (settled.state !== 'succeeded')
      throw new Error(`the fleet's first rollout ended ${settled.state}: ${settled.reason}`);
    await fleet.restartNode('node-2', 'SIGTERM', { AGENT_MIN_FREE_DISK: '100000GiB' });
    await waitFor(async () => (await fleet.nodes[1].version()) === '1.0.0', { what: 'node-2 back on 1.0.0' });
  }, 300_000);
  afterAll(async () => {
    sub?.unsubscribe();
    await fleet?.stop();
  });

  it('pause holds the next batch (no command goes out) until resume; then the rollout finishes', async () => {
    const { id, acted: paused } = await actWhileFirstBatchRuns('1.1.0', 'pause');
    const whilePaused = commandsOf(id).map((c) => c.nodeId);
    const resumedAt = Date.now();
    const resumed = jsonOf<{ state: string }>(await cli('rollouts', 'resume', id));
    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back', 'aborted']);

    expect(paused.state).toBe('paused');
    expect(whilePaused).toEqual(['node-1']);
    expect(resumed.state).toBe('running');
    expect(final.state).toBe('succeeded');
    expect(commandsOf(id).map((c) => c.nodeId)).toEqual(['node-1', 'node-3', 'node-4']);
    expect(
      commandsOf(id)
        .slice(1)
        .every((c) => c.seenAt >= resumedAt),
    ).toBe(true);
    expect(await versions()).toEqual(['1.1.0', '1.0.0', '1.1.0', '1.1.0']);
  });

  it('abort stops for good: the batch in flight finishes, no command is sent again, and it cannot be resumed', async () => {
    const { id, acted: aborted } = await actWhileFirstBatchRuns('1.3.0', 'abort');
    const resume = await cli('rollouts', 'resume', id);

    expect(aborted.state).toBe('aborted');
    expect(commandsOf(id).map((c) => c.nodeId)).toEqual(['node-1']);
    expect(resume.code).not.toBe(0);
    expect(`${resume.stdout}${resume.stderr}`).toMatch(/cannot resume a rollout that is aborted/);
    expect((await fleet.waitForState(id, ['aborted'])).state).toBe('aborted');
    expect((await fleet.nodeRows(id)).map((r) => `${r.node_id}:${r.status}`)).toEqual([
      'node-1:succeeded',
      'node-3:pending',
      'node-4:pending',
    ]);
    expect(await versions()).toEqual(['1.3.0', '1.0.0', '1.1.0', '1.1.0']);
  });

  it('a failure budget of 1 carries on past a failed node and ends succeeded with that one failure', async () => {
    const id = await start(
      'upgrade',
      '1.4.0',
      '--nodes',
      'node-2,node-3',
      '--max-parallel',
      '1',
      '--max-failures',
      '1',
    );

    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back', 'aborted']);
    const rows = await fleet.nodeRows(id);

    expect(final.state).toBe('succeeded');
    expect(rows.map((r) => `${r.node_id}:${r.status}`)).toEqual(['node-2:failed', 'node-3:succeeded']);
    expect(rows[0].error).toMatch(/free/);
    // node-3's batch went out after node-2 failed: the rollout carried on
    expect(commandsOf(id).map((c) => c.nodeId)).toEqual(['node-2', 'node-3']);
    expect(await versions()).toEqual(['1.3.0', '1.0.0', '1.4.0', '1.1.0']);
  });

  it('reverts the nodes earlier batches updated when a later batch fails (auto-rollback)', async () => {
    const id = await start('upgrade', '1.4.0', '--nodes', 'node-1,node-2', '--max-parallel', '1');

    const final = await fleet.waitForState(id, ['succeeded', 'rolled_back', 'aborted']);
    const rows = await fleet.nodeRows(id);

    expect(final.state).toBe('rolled_back');
    expect(rows.map((r) => `${r.node_id}:${r.status}`)).toEqual(['node-1:reverted', 'node-2:failed']);
    expect(commandsOf(id).map((c) => `${c.action} ${c.nodeId} ${c.version}`)).toEqual([
      'install node-1 1.4.0',
      'install node-2 1.4.0',
      'rollback node-1 1.3.0',
    ]);
    expect(await versions()).toEqual(['1.3.0', '1.0.0', '1.4.0', '1.1.0']);
  });

  it('`lockstep downgrade --to` installs the older version through the real scheduler', async () => {
    const id = await start('downgrade', '1.1.0', '--nodes', 'node-1,node-3', '--max-parallel', '2');

    const final = await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back', 'aborted']);
    const { rows } = await fleet.dep.pg.query(`SELECT kind, target_version FROM rollouts WHERE id = $1`, [id]);

    expect(final.state).toBe('succeeded');
    expect(rows).toEqual([{ kind: 'downgrade', target_version: '1.1.0' }]);
    expect(commandsOf(id).map((c) => `${c.action} ${c.nodeId} ${c.version}`)).toEqual([
      'install node-1 1.1.0',
      'install node-3 1.1.0',
    ]);
    expect(await versions()).toEqual(['1.1.0', '1.0.0', '1.1.0', '1.1.0']);
  });

  it('withdraws the install of a node frozen past the progress deadline; back, it only gets the revert and ends reverted', async () => {
    const frozen = fleet.nodes[3];
    const ranBefore = await frozen.version();
    const jsm = await jetstreamManager(fleet.dep.nc);
    const stream = `${fleet.dep.namespace.toUpperCase()}_COMMANDS`;
    const seen = await collectEvents(fleet.dep);
    const id = await start(
      'upgrade',
      '1.4.0',
      ...['--nodes', 'node-3,node-4', '--max-parallel', '1', '--min-healthy', '8s', '--progress-deadline', '20s'],
    );
    await waitFor(async () => commandsOf(id).length > 0, { what: "node-3's install sent" });
    // frozen before its install is sent, and once its last pull request to the server has expired
    // (else the server would hand it the command into a socket nobody reads)
    frozen.proc.proc.kill('SIGSTOP');
    await waitFor(
      async () => (await jsm.consumers.info(stream, `installer-${frozen.id}`)).num_waiting === 0 || undefined,
      { what: 'node-4 has no pull request waiting', timeoutMs: 15_000 },
    );
    expect(commandsOf(id).map((c) => c.nodeId)).toEqual(['node-3']);

    const final = await fleet.waitForState(id, ['succeeded', 'rolled_back', 'aborted'], 120_000);
    const atEnd = await row(id, 'node-4');
    const installSeq = commandsOf(id).find((c) => c.nodeId === 'node-4' && c.action === 'install');
    frozen.proc.proc.kill('SIGCONT');
    await waitFor(async () => (await row(id, 'node-4'))?.status === 'reverted', { what: 'node-4 reverted late' });
    await seen.stop();

    expect(final.state).toBe('rolled_back');
    expect(installSeq).toBeDefined();
    // the revert the conductor sent it could not land in time; once back, the node answered it
    // (refused: the rollout's lock is gone) from the version it ran before, so it counts reverted
    expect(atEnd?.status).toBe('revert_timed_out');
    const { rows } = await fleet.dep.pg.query(
      `SELECT withdraw_seq FROM rollout_nodes WHERE rollout_id = $1 AND node_id = 'node-4'`,
      [id],
    );
    expect(rows).toEqual([{ withdraw_seq: null }]);
    // the agent never saw its install: no progress, no outcome (not even a refusal) for it
    const aboutInstall = seen.events.filter((e) => e.data.commandId === `${id}.node-4.install`);
    expect(aboutInstall).toEqual([]);
    expect(await frozen.version()).toBe(ranBefore);
  }, 240_000);

  it('a node frozen in its health gate past the deadline lands its install late; the scheduler reverts it again under a live lock', async () => {
    const frozen = fleet.nodes[3];
    const ranBefore = await frozen.version();
    const seen = await collectEvents(fleet.dep);
    const about = (commandId: string, type: string) =>
      seen.events.filter((e) => e.type.includes(type) && e.data.commandId === commandId);
    const id = await start(
      'upgrade',
      '1.4.0',
      ...['--nodes', 'node-4', '--min-healthy', '12s', '--healthy-deadline', '5m', '--progress-deadline', '10s'],
    );
    // frozen after the swap, while its health gate runs: past the point where it honours the deadline
    await waitFor(() => about(`${id}.node-4.install`, 'install.progress').some((e) => e.data.step === 'health_check'), {
      what: 'node-4 in its health gate',
      intervalMs: 20,
    });
    frozen.proc.proc.kill('SIGSTOP');
    const final = await fleet.waitForState(id, ['succeeded', 'rolled_back', 'aborted'], 120_000);
    const atEnd = await row(id, 'node-4');
    await waitFor(async () => jsonOf<{ items: unknown[] }>(await cli('locks')).items.length === 0, {
      what: 'the cluster lock released',
    });

    frozen.proc.proc.kill('SIGCONT');
    await waitFor(async () => (await row(id, 'node-4'))?.status === 'reverted', {
      what: 'node-4 reverted again',
      timeoutMs: 120_000,
    });
    await seen.stop();

    expect(final.state).toBe('rolled_back');
    expect(atEnd?.status).toBe('revert_timed_out');
    // it did install the release, late: the scenario this test is about
    expect(about(`${id}.node-4.install`, 'install.finished').map((e) => e.data.result)).toEqual(['succeeded']);
    // its first revert came when nobody held the lock (refused, from 1.4.0): a new one went out
    expect(about(`${id}.node-4.revert`, 'install.finished').map((e) => e.data.result)).toEqual(['rejected']);
    expect(commandsOf(id).map((c) => `${c.action} ${c.commandId.slice(id.length + 1)}`)).toEqual([
      'install node-4.install',
      'rollback node-4.revert',
      'rollback node-4.2.revert',
    ]);
    expect(await frozen.version()).toBe(ranBefore);
  }, 240_000);

  it("ran every process as its own least-privilege NATS user: the server refused nothing, the scheduler's withdrawals included", async () => {
    const { rows } = await fleet.dep.pg.query(
      `SELECT count(*)::int AS n FROM rollout_nodes WHERE command_seq IS NOT NULL`,
    );

    expect(rows[0].n).toBeGreaterThan(0);
    expect(fleet.natsViolations()).toEqual([]);
  });
});
