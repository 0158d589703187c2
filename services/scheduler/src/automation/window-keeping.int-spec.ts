import { DEFAULT_POLICY_FILE, type PolicyFileV1 } from '@lockstep/contracts';
import { fixedSettings } from '@lockstep/persistence';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Calendar } from '../clock/calendar.port';
import { RolloutRepository } from '../rollouts/rollout.repository';
import type { RolloutsService } from '../rollouts/rollouts.service';
import type { SchedulerConfig } from '../scheduler.config';
import { ManualClock } from '../testing/manual-clock';
import { operator } from '../testing/rollout-db-fixtures';
import { insertDemoComponent, migratedDatabase } from '../testing/scheduler-fixtures';
import { AutomationRepository } from './automation.repository';
import { AutomationSettings } from './automation-settings';
import { AutomaticUpdates } from './automatic-updates.service';

/**
 * Issue 13, acceptance 4 and the review's findings on it: the scheduler pauses an automatic
 * rollout when its window closes and resumes it when one opens, but never resumes an operator's
 * pause, nor a rollout whose release was held (or automatic updates turned off) meanwhile.
 */
describe('an automatic rollout kept to its maintenance window (Postgres)', () => {
  let db: Awaited<ReturnType<typeof migratedDatabase>>;
  let ds: DataSource;
  let now: Date;
  let sut: AutomaticUpdates;
  let rollouts: RolloutRepository;
  let rolloutId: string;
  const settings = (automatic = true) =>
    new AutomationSettings(fixedSettings({ 'update.evaluation_interval': 1000, 'update.automatic': automatic })).read();
  const at = async (iso: string, automatic = true) => {
    now = new Date(iso);
    await sut.tick(await settings(automatic));
  };
  const state = async () =>
    (
      await ds.query(
        `SELECT r.state, a.paused_for_window FROM rollouts r JOIN automatic_rollouts a ON a.rollout_id = r.id WHERE r.id = $1`,
        [rolloutId],
      )
    )[0] as { state: string; paused_for_window: boolean };

  beforeAll(async () => {
    db = await migratedDatabase();
    ds = db.ds;
    rollouts = new RolloutRepository(ds);
    const calendar: Calendar = { now: () => now };
    sut = new AutomaticUpdates(
      new AutomationRepository(ds),
      await Promise.resolve(new AutomationSettings(fixedSettings())),
      {} as RolloutsService, // never asked: a rollout is under way, so nothing starts
      rollouts,
      calendar,
      new ManualClock(),
      { SCHEDULER_REPLICA_ID: 'r1' } as SchedulerConfig,
    );
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    await ds.query(
      `TRUNCATE components, rollouts, announced_releases, update_policy, maintenance_windows, update_holds CASCADE`,
    );
    await insertDemoComponent(ds);
    await ds.query(
      `INSERT INTO announced_releases (id, component, version, kind, channel, artifact_uri, sha256, length, announced_at)
       VALUES (gen_random_uuid(), 'demo', '1.0.1', 'patch', 'stable', 's3://x', $1, 1, '2026-01-01')`,
      ['0'.repeat(64)],
    );
    const policy: PolicyFileV1 = {
      ...DEFAULT_POLICY_FILE,
      defaults: {
        ...DEFAULT_POLICY_FILE.defaults,
        classes: { ...DEFAULT_POLICY_FILE.defaults.classes, patch: 'next-window' },
        windows: ['nightly'],
      },
    };
    await ds.query(`INSERT INTO update_policy (id, revision, document, applied_by) VALUES (1, 1, $1, 'spec')`, [
      policy,
    ]);
    await ds.query(
      `INSERT INTO maintenance_windows (id, name, spec, created_by) VALUES (gen_random_uuid(), 'nightly', $1, 'spec')`,
      [{ start: { time: '22:00' }, duration: '4h', timezone: 'UTC' }],
    );
    rolloutId = randomUUID();
    await ds.query(
      `INSERT INTO rollouts (id, component, target_version, kind, artifact, selector, strategy, state)
       VALUES ($1, 'demo', '1.0.1', 'upgrade', '{}', 'all', '{}', 'running')`,
      [rolloutId],
    );
    await ds.query(
      `INSERT INTO automatic_rollouts (rollout_id, component, version, trigger, window_name) VALUES ($1, 'demo', '1.0.1', 'window', 'nightly')`,
      [rolloutId],
    );
  });

  it('pauses it when the window closes and resumes it when the window opens again', async () => {
    await at('2026-03-10T23:00:00Z');
    const open = await state();
    await at('2026-03-11T02:30:00Z');
    const closed = await state();
    await at('2026-03-11T22:00:30Z');

    expect(open).toEqual({ state: 'running', paused_for_window: false });
    expect(closed).toEqual({ state: 'paused', paused_for_window: true });
    expect(await state()).toEqual({ state: 'running', paused_for_window: false });
  });

  it("never resumes an operator's pause, also after the operator resumed and paused one the window had paused", async () => {
    await at('2026-03-11T02:30:00Z');
    await rollouts.operatorAction(rolloutId, 'resume', operator);
    await rollouts.operatorAction(rolloutId, 'pause', operator);
    await at('2026-03-11T22:00:30Z');

    expect(await state()).toEqual({ state: 'paused', paused_for_window: false });
  });

  it.each([
    [
      'its release was held meanwhile',
      () =>
        ds.query(
          `INSERT INTO update_holds (id, component, version, reason, created_by) VALUES (gen_random_uuid(), 'demo', '1.0.1', 'bad', 'ops')`,
        ),
      true,
    ],
    ['automatic updates were turned off', async () => undefined, false],
  ])('leaves it paused in the next window when %s', async (_what, meanwhile, automatic) => {
    await at('2026-03-11T02:30:00Z');
    await meanwhile();
    await at('2026-03-11T22:00:30Z', automatic);

    expect(await state()).toEqual({ state: 'paused', paused_for_window: true });
  });

  it('lets it go on when its window is removed while it waits', async () => {
    await at('2026-03-11T02:30:00Z');
    await ds.query(`UPDATE maintenance_windows SET enabled = false WHERE name = 'nightly'`);
    await at('2026-03-11T03:00:00Z');

    expect(await state()).toEqual({ state: 'running', paused_for_window: false });
  });
});
