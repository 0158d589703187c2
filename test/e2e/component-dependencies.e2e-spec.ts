import { Queries, systemActor, type ComponentView, type QueryReply, type UpdatesReplyV1 } from '@lockstep/contracts';
import { jsonOf, runCli, waitFor, type ServiceProcess } from '@lockstep/testing';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestFleet } from '../support/fleet';

/**
 * Issue 13, acceptance 6: two components, `demo` (the app, nodes node-1..2) registered as needing
 * `config` >= 2.0.0 (nodes node-3..4). Both publish 2.0.0 at once and the policy installs every
 * class immediately: config's rollout goes first, demo's only once config runs 2.0.0. A
 * registration that would close a cycle is refused, naming it. The operator works through the CLI.
 */
describe('component dependencies (scheduler, api, checker, four agents of two components; real NATS, Postgres, S3)', () => {
  let fleet: TestFleet;
  let api: ServiceProcess;
  let cli: (...args: string[]) => ReturnType<typeof runCli>;
  let configRoot: string;

  const ok = async (...args: string[]) => {
    const run = await cli(...args);
    if (run.code !== 0) throw new Error(`lockstep ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
    return run;
  };
  const checkNow = async (component: string) => {
    const reply = await fleet.dep.queries.send<QueryReply<unknown>>(
      Queries.CheckNow,
      { component, actor: systemActor('e2e') },
      30_000,
    );
    if (!reply.ok) throw new Error(reply.error.message);
  };
  const updates = async () => jsonOf<UpdatesReplyV1>(await ok('updates', '--json')).items;
  const component = async (name: string) => jsonOf<ComponentView>(await ok('components', 'show', name, '--json'));
  /** Automatic rollouts of the release, oldest first, with their rollout's state and times. */
  const automaticRollouts = async (name: string, version: string) =>
    (
      await fleet.dep.pg.query<{ rollout_id: string; state: string; created_at: Date; finished_at: Date | null }>(
        `SELECT a.rollout_id, r.state, r.created_at, r.finished_at FROM automatic_rollouts a JOIN rollouts r ON r.id = a.rollout_id
         WHERE a.component = $1 AND a.version = $2 ORDER BY a.created_at`,
        [name, version],
      )
    ).rows;
  const succeededAutomatic = (name: string, version: string) =>
    waitFor(
      async () => {
        const rows = await automaticRollouts(name, version);
        return rows.length > 0 && rows[rows.length - 1].state === 'succeeded' ? rows : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200, what: `an automatic rollout of ${name} ${version} to succeed` },
    ).then((r) => r!);
  const currentVersions = async () =>
    Object.fromEntries(
      (await fleet.dep.pg.query(`SELECT name, current_version FROM components ORDER BY name`)).rows.map((r) => [
        r.name,
        r.current_version,
      ]),
    );
  const versionsOn = (ids: string[]) =>
    Promise.all(fleet.nodes.filter((n) => ids.includes(n.id)).map((n) => n.version()));

  beforeAll(async () => {
    fleet = await TestFleet.start();
    api = await fleet.startService('api');
    cli = (...args: string[]) => runCli(args, { LOCKSTEP_API_URL: api.url, LOCKSTEP_TOKEN: api.token! });
    configRoot = await fleet.addComponent('config');
    await fleet.addNodes(2);
    await fleet.addNodes(2, () => ({ AGENT_COMPONENT: 'config', AGENT_TRUSTED_ROOT: configRoot }));
    for (const name of ['demo', 'config']) {
      const first = await fleet.rollout({ component: name, version: '1.0.0', maxParallel: 2 });
      expect(await fleet.waitForState(first, ['succeeded', 'failed', 'rolled_back'])).toMatchObject({
        state: 'succeeded',
      });
    }
    await waitFor(
      async () => {
        const v = await currentVersions();
        return v.demo === '1.0.0' && v.config === '1.0.0';
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'demo and config to count as running 1.0.0' },
    );
    await ok(
      'components',
      'add',
      'demo',
      '--source',
      'tuf',
      '--trusted-root',
      fleet.rootPath,
      '--current',
      '1.0.0',
      '--requires',
      'config>=2.0.0',
    );
    const policy = join(fleet.work, 'lockstep-policy.yaml');
    writeFileSync(
      policy,
      `apiVersion: lockstep/v1
kind: UpdatePolicy
defaults:
  classes: { security: immediate, hotfix: immediate, patch: immediate, minor: immediate, major: immediate, prerelease: never }
  channel: stable
  minimumReleaseAge: 0s
  bypassMinimumAgeFor: []
  strategy: { maxParallel: 2, canary: 0, minHealthy: 3s, healthyDeadline: 10s, failureBudget: 0, autoRollback: true }
  backupBefore: false
  windows: []
`,
    );
    await ok('settings', 'set', 'update.evaluation_interval', '1s');
    await ok('policy', 'apply', '-f', policy);
  }, 180_000);
  afterAll(async () => {
    await fleet?.stop();
  });

  it('updates config first and demo, which needs it, only once config runs 2.0.0', async () => {
    await fleet.publish('2.0.0');
    await fleet.publish('2.0.0', {}, 'config');

    await Promise.all([checkNow('demo'), checkNow('config')]);
    // config's rollout holds its nodes healthy for 3 s before it can succeed: config still runs 1.0.0
    const items = await updates();
    expect(items.find((u) => u.component === 'demo' && u.version === '2.0.0')).toMatchObject({
      decision: 'wait-dependency',
      reason: 'waits for config: needs config >=2.0.0, which runs 1.0.0',
    });
    expect(items.find((u) => u.component === 'config' && u.version === '2.0.0')).toMatchObject({
      decision: 'install-now',
    });
    const [config] = await succeededAutomatic('config', '2.0.0');
    const [demo] = await succeededAutomatic('demo', '2.0.0');

    expect(demo.created_at.getTime()).toBeGreaterThanOrEqual(config.finished_at!.getTime());
    expect(await automaticRollouts('config', '2.0.0')).toHaveLength(1);
    expect(await automaticRollouts('demo', '2.0.0')).toHaveLength(1);
    expect(await versionsOn(['node-1', 'node-2'])).toEqual(['2.0.0', '2.0.0']);
    expect(await versionsOn(['node-3', 'node-4'])).toEqual(['2.0.0', '2.0.0']);
    await waitFor(
      async () => {
        const v = await currentVersions();
        return v.demo === '2.0.0' && v.config === '2.0.0';
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'demo and config to count as running 2.0.0' },
    );
  });

  it('refuses to make config require demo, which requires config, naming the cycle; nothing changes', async () => {
    const before = (await fleet.dep.pg.query(`SELECT * FROM components WHERE name = 'config'`)).rows[0];

    const run = await cli(
      'components',
      'add',
      'config',
      '--source',
      'tuf',
      '--trusted-root',
      configRoot,
      '--current',
      before.current_version,
      '--requires',
      'demo>=1.0.0',
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error: config is not registered with these requirements: components depend on each other in a cycle: config → demo → config; remove one of these requirements',
    );
    expect((await fleet.dep.pg.query(`SELECT * FROM components WHERE name = 'config'`)).rows[0]).toEqual(before);
    expect((await component('config')).requires).toEqual({});
    expect((await component('demo')).requires).toEqual({ config: '>=2.0.0' });
  });
});
