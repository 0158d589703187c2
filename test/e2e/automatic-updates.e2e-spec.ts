import { Queries, systemActor, type QueryReply, type UpdatesReplyV1 } from '@lockstep/contracts';
import { jsonOf, runCli, waitFor, type ServiceProcess } from '@lockstep/testing';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestFleet } from '../support/fleet';

const HOUR = 3600_000;

/**
 * Issue 13, acceptance 2, 3 and 5: automatic updates with three scheduler replicas whose calendar
 * the test moves (SCHEDULER_TEST_CALENDAR_FILE); rollouts themselves run in real time. The
 * operator drives everything through the CLI, as they would: the policy file, the window, the
 * setting, the approval, the schedule.
 */
describe('automatic updates (three schedulers, api, checker, three agents; real NATS, Postgres, S3)', () => {
  let fleet: TestFleet;
  let api: ServiceProcess;
  let schedulers: ServiceProcess[];
  let cli: (...args: string[]) => ReturnType<typeof runCli>;
  let calendarFile: string;
  /** The calendar's start: a whole minute of real time, so release ages (real) and the calendar agree. */
  let t0: number;
  /** The nightly window opens at t0 + 3 h every day, for one hour. */
  const windowOpens = (day: number) => t0 + 3 * HOUR + day * 24 * HOUR;
  const setCalendar = (at: number) => writeFileSync(calendarFile, new Date(at).toISOString());
  const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);

  const checkNow = async () => {
    const reply = await fleet.dep.queries.send<QueryReply<unknown>>(
      Queries.CheckNow,
      { component: 'demo', actor: systemActor('e2e') },
      30_000,
    );
    if (!reply.ok) throw new Error(reply.error.message);
  };
  const updates = async () => jsonOf<UpdatesReplyV1>(await cli('updates', '--json')).items;
  const decisionOf = async (version: string) => (await updates()).find((u) => u.version === version);
  /** Automatic rollouts of `version`, oldest first, with their state. */
  const automaticRollouts = async (version: string) =>
    (
      await fleet.dep.pg.query<{ rollout_id: string; trigger: string; state: string; created_at: Date }>(
        `SELECT a.rollout_id, a.trigger, r.state, a.created_at FROM automatic_rollouts a JOIN rollouts r ON r.id = a.rollout_id
         WHERE a.version = $1 ORDER BY a.created_at`,
        [version],
      )
    ).rows;
  const settledAutomatic = (version: string, states = ['succeeded']) =>
    waitFor(
      async () => {
        const rows = await automaticRollouts(version);
        return rows.length > 0 && states.includes(rows[rows.length - 1].state) ? rows : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200, what: `an automatic rollout of ${version} to end ${states.join('/')}` },
    ).then((r) => r!);
  const ok = async (...args: string[]) => {
    const run = await cli(...args);
    if (run.code !== 0) throw new Error(`lockstep ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
    return run;
  };

  beforeAll(async () => {
    t0 = Math.floor(Date.now() / 60_000) * 60_000;
    const work = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'lockstep-cal-'));
    calendarFile = join(work, 'now');
    setCalendar(t0);
    fleet = await TestFleet.start({ env: { SCHEDULER_TEST_CALENDAR_FILE: calendarFile } });
    schedulers = [fleet.procs[fleet.procs.length - 1], await fleet.startScheduler(), await fleet.startScheduler()];
    api = await fleet.startService('api');
    cli = (...args: string[]) => runCli(args, { LOCKSTEP_API_URL: api.url, LOCKSTEP_TOKEN: api.token! });
    await fleet.addNodes(3);
    const first = await fleet.rollout({ version: '1.0.0', maxParallel: 3 });
    expect(await fleet.waitForState(first, ['succeeded', 'failed', 'rolled_back'])).toMatchObject({
      state: 'succeeded',
    });
    const policy = join(work, 'lockstep-policy.yaml');
    writeFileSync(
      policy,
      `apiVersion: lockstep/v1
kind: UpdatePolicy
defaults:
  classes: { security: immediate, hotfix: immediate, patch: next-window, minor: next-window, major: approval, prerelease: never }
  channel: stable
  minimumReleaseAge: 2h
  bypassMinimumAgeFor: [security, hotfix]
  strategy: { maxParallel: 3, canary: 0, minHealthy: 1s, healthyDeadline: 8s, failureBudget: 0, autoRollback: true }
  backupBefore: false
  windows: [nightly]
`,
    );
    await ok('settings', 'set', 'update.evaluation_interval', '1s');
    await ok('windows', 'add', 'nightly', '--time', hhmm(windowOpens(0)), '--duration', '1h', '--timezone', 'UTC');
    await ok('policy', 'apply', '-f', policy);
  }, 180_000);
  afterAll(async () => {
    await fleet?.stop();
  });

  it('rolls a security release out at once, without anyone running upgrade', async () => {
    await fleet.publish('1.0.1', { security: true });

    await checkNow();
    const [rollout] = await settledAutomatic('1.0.1');

    expect(rollout.trigger).toBe('immediate');
    expect(await Promise.all(fleet.nodes.map((n) => n.version()))).toEqual(['1.0.1', '1.0.1', '1.0.1']);
  });

  it('holds a young patch back, then waits for the window; asks once for approval of a major, which goes out in the next window after approve', async () => {
    await fleet.publish('1.0.2');
    await fleet.publish('2.0.0');
    await checkNow();

    expect(await decisionOf('1.0.2')).toMatchObject({ decision: 'too-young', class: 'patch' });
    setCalendar(t0 + 2.5 * HOUR); // old enough; the window opens in half an hour
    const pending = await waitFor(
      async () =>
        (await fleet.dep.pg.query(`SELECT state FROM update_approvals WHERE version = '2.0.0'`)).rows[0]?.state,
      { timeoutMs: 20_000, intervalMs: 200, what: 'the approval request for 2.0.0' },
    );
    // that evaluation saw the patch too, and started nothing for it
    expect(pending).toBe('pending');
    expect(await automaticRollouts('1.0.2')).toEqual([]);
    expect(await decisionOf('1.0.2')).toMatchObject({
      decision: 'wait-window',
      reason: `waits for the window opening ${new Date(windowOpens(0)).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    });
    expect(await decisionOf('2.0.0')).toMatchObject({ decision: 'wait-approval' });

    const opened = Date.now();
    setCalendar(windowOpens(0) + 60_000);
    const [patch] = await settledAutomatic('1.0.2');
    expect(patch).toMatchObject({ trigger: 'window' });
    expect(patch.created_at.getTime()).toBeGreaterThanOrEqual(opened - 1000);
    expect(await decisionOf('2.0.0')).toMatchObject({ decision: 'wait-approval' });
    // asked once (its event goes out in the same transaction), though three replicas evaluated it many times
    const asked = await fleet.dep.pg.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'update.request-approval' AND target = 'demo@2.0.0'`,
    );
    expect(asked.rows[0].n).toBe(1);

    setCalendar(windowOpens(0) + 1.5 * HOUR); // the window closed
    await ok('approve', 'demo', '2.0.0', '--reason', 'read the changelog');
    expect(await decisionOf('2.0.0')).toMatchObject({ decision: 'wait-window' });
    expect((await decisionOf('2.0.0'))!.reason).toMatch(/^approved; waits for the window opening /);
    const next = Date.now();
    setCalendar(windowOpens(1) + 60_000);
    const [major] = await settledAutomatic('2.0.0');
    expect(major.created_at.getTime()).toBeGreaterThanOrEqual(next - 1000);
    expect(await Promise.all(fleet.nodes.map((n) => n.version()))).toEqual(['2.0.0', '2.0.0', '2.0.0']);
  });

  it('holds a release whose automatic rollout failed; the next window does not retry it; a newer release goes out', async () => {
    setCalendar(windowOpens(1) + 2 * HOUR);
    await fleet.publish('2.0.1', { broken: true });
    await checkNow();

    setCalendar(windowOpens(2) + 60_000);
    const [failed] = await settledAutomatic('2.0.1', ['failed', 'rolled_back']);
    const hold = await waitFor(
      async () =>
        (
          await fleet.dep.pg.query(
            `SELECT reason FROM update_holds WHERE component = 'demo' AND version = '2.0.1' AND automatic AND released_at IS NULL`,
          )
        ).rows[0],
      { timeoutMs: 20_000, intervalMs: 200, what: 'the automatic hold of 2.0.1' },
    );
    expect(hold.reason).toContain(`automatic rollout ${failed.rollout_id}`);

    setCalendar(windowOpens(3) + 60_000);
    expect(await decisionOf('2.0.1')).toMatchObject({ decision: 'held' });
    await fleet.publish('2.0.2');
    await checkNow();
    await settledAutomatic('2.0.2');

    expect(await automaticRollouts('2.0.1')).toHaveLength(1);
    expect(await Promise.all(fleet.nodes.map((n) => n.version()))).toEqual(['2.0.2', '2.0.2', '2.0.2']);
  });

  it('starts exactly one rollout for a due schedule run while replicas are killed and restarted around it', async () => {
    const due = windowOpens(3) + 2 * HOUR; // the window is closed then: only the schedule lets the patch in
    setCalendar(due - 30 * 60_000);
    await ok(
      'schedule',
      'add',
      'patches',
      '--type',
      'daily',
      '--time',
      hhmm(due),
      '--timezone',
      'UTC',
      '--components',
      'demo',
      '--classes',
      'patch',
    );
    await fleet.publish('2.0.3');
    await checkNow();
    expect(await decisionOf('2.0.3')).toMatchObject({ decision: 'wait-window' });

    // every replica is killed once around the due time, never all at once
    await schedulers[0].kill('SIGKILL');
    await schedulers[1].kill('SIGKILL');
    setCalendar(due + 10_000);
    schedulers[0] = await fleet.startScheduler();
    await schedulers[2].kill('SIGKILL');
    schedulers[1] = await fleet.startScheduler();
    schedulers[2] = await fleet.startScheduler();
    const [rollout] = await settledAutomatic('2.0.3');

    const runs = await fleet.dep.pg.query(
      `SELECT outcome, rollout_ids FROM schedule_runs r JOIN update_schedules s ON s.id = r.schedule_id WHERE s.name = 'patches'`,
    );
    expect(runs.rows).toEqual([{ outcome: 'started', rollout_ids: [rollout.rollout_id] }]);
    expect(rollout.trigger).toBe('schedule');
    expect(await automaticRollouts('2.0.3')).toHaveLength(1);
  });

  it('pauses an automatic rollout at a batch boundary when its window closes, and resumes it in the next window', async () => {
    await ok('schedule', 'disable', 'patches');
    await ok('policy', 'set', 'components.demo.strategy.maxParallel', '1');
    await ok('policy', 'set', 'components.demo.strategy.minHealthy', '4s');
    await fleet.publish('2.0.4');
    await checkNow();

    setCalendar(windowOpens(4) + 59 * 60_000); // one minute before the window closes
    const id = await waitFor(async () => (await automaticRollouts('2.0.4'))[0]?.rollout_id, {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: 'the automatic rollout of 2.0.4',
    }).then((r) => r);
    await waitFor(async () => (await fleet.nodeRows(id)).some((n) => n.status === 'succeeded'), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'the first batch of 2.0.4',
    });
    setCalendar(windowOpens(4) + 61 * 60_000);
    await fleet.waitForState(id, ['paused'], 30_000);
    const paused = await fleet.nodeRows(id);
    const flagged = await fleet.dep.pg.query(`SELECT paused_for_window FROM automatic_rollouts WHERE rollout_id = $1`, [
      id,
    ]);

    expect(paused.filter((n) => n.status === 'pending').length).toBeGreaterThan(0);
    expect(flagged.rows[0].paused_for_window).toBe(true);
    setCalendar(windowOpens(5) + 60_000);
    expect(await fleet.waitForState(id, ['succeeded', 'failed', 'rolled_back'], 60_000)).toMatchObject({
      state: 'succeeded',
    });
    expect(await Promise.all(fleet.nodes.map((n) => n.version()))).toEqual(['2.0.4', '2.0.4', '2.0.4']);
  });
});
