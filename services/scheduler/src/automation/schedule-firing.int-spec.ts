import { fixedSettings } from '@lockstep/persistence';
import type { ScheduleSpecV1 } from '@lockstep/contracts';
import type { DataSource } from 'typeorm';
import type { Calendar } from '../clock/calendar.port';
import { RolloutRepository } from '../rollouts/rollout.repository';
import type { RolloutsService } from '../rollouts/rollouts.service';
import type { SchedulerConfig } from '../scheduler.config';
import { ManualClock } from '../testing/manual-clock';
import { migratedDatabase } from '../testing/scheduler-fixtures';
import { AutomationRepository } from './automation.repository';
import { AutomationSettings } from './automation-settings';
import { AutomaticUpdates } from './automatic-updates.service';

const HOUR = 3600_000;

/**
 * Issue 13, acceptance 1 and 2 at the level of the engine: three replicas evaluate at every step
 * of a calendar the spec moves hour by hour through both DST changes of 2026, against one real
 * database. Every run is recorded once, at the right instant (no component waits, so each run
 * is `nothing-to-do`; which rollout a run starts is the e2e spec's part).
 */
describe('schedule runs across DST changes, three replicas (Postgres)', () => {
  let db: Awaited<ReturnType<typeof migratedDatabase>>;
  let ds: DataSource;
  let now: Date;
  let replicas: AutomaticUpdates[];

  beforeAll(async () => {
    db = await migratedDatabase();
    ds = db.ds;
    const calendar: Calendar = { now: () => now };
    replicas = ['r1', 'r2', 'r3'].map(
      (id) =>
        new AutomaticUpdates(
          new AutomationRepository(ds),
          new AutomationSettings(fixedSettings({ 'update.evaluation_interval': 1000 })),
          {} as RolloutsService, // never asked: no component has a release waiting
          new RolloutRepository(ds),
          calendar,
          new ManualClock(),
          { SCHEDULER_REPLICA_ID: id } as SchedulerConfig,
        ),
    );
  });
  afterAll(() => db.drop());

  const addSchedule = async (name: string, spec: ScheduleSpecV1) =>
    (
      await ds.query(
        `INSERT INTO update_schedules (id, name, spec, created_by, created_at, updated_at)
         VALUES (gen_random_uuid(), $1, $2, 'spec', '2026-01-01', '2026-01-01') RETURNING id`,
        [name, spec],
      )
    )[0].id as string;
  /** Moves the calendar by half hours (30 s past each) from `from` to `to`; every replica evaluates at each step, at once. */
  const walk = async (from: string, to: string) => {
    const settings = await new AutomationSettings(fixedSettings({ 'update.evaluation_interval': 1000 })).read();
    for (let t = Date.parse(from) + 30_000; t <= Date.parse(to); t += HOUR / 2) {
      now = new Date(t);
      await Promise.all(replicas.map((r) => r.tick(settings)));
    }
  };
  const runsOf = async (id: string) =>
    (await ds.query(`SELECT due_at, outcome FROM schedule_runs WHERE schedule_id = $1 ORDER BY due_at`, [id])).map(
      (r: { due_at: Date; outcome: string }) => `${r.due_at.toISOString()} ${r.outcome}`,
    );

  it('fires a weekly 03:00 Europe/Berlin schedule once at 03:00 local, through the spring and the autumn change', async () => {
    const id = await addSchedule('weekly-berlin', {
      type: 'weekly',
      time: '03:00',
      days: ['sun'],
      timezone: 'Europe/Berlin',
    });

    await walk('2026-03-21T00:00:00Z', '2026-04-06T00:00:00Z');
    await walk('2026-10-17T00:00:00Z', '2026-11-02T00:00:00Z');

    expect(await runsOf(id)).toEqual([
      '2026-03-22T02:00:00.000Z nothing-to-do', // CET
      '2026-03-29T01:00:00.000Z nothing-to-do', // CEST from that night on
      '2026-04-05T01:00:00.000Z nothing-to-do',
      // the walk jumped from April to October: the runs between were missed, one row says so
      '2026-10-11T01:00:00.000Z skipped-missed',
      '2026-10-18T01:00:00.000Z nothing-to-do',
      '2026-10-25T02:00:00.000Z nothing-to-do', // CET again: 03:00 happens once that night
      '2026-11-01T02:00:00.000Z nothing-to-do',
    ]);
  });

  it('fires a daily 02:30 America/New_York schedule once on the day 02:30 does not exist and once on the day it exists twice', async () => {
    const id = await addSchedule('daily-ny', { type: 'daily', time: '02:30', timezone: 'America/New_York' });

    await walk('2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z');

    expect(await runsOf(id)).toEqual([
      '2026-03-07T07:30:00.000Z nothing-to-do', // EST
      '2026-03-08T07:00:00.000Z nothing-to-do', // 02:30 does not exist: 03:00 EDT, once
      '2026-03-09T06:30:00.000Z nothing-to-do', // EDT
    ]);
  });

  it('fires a daily 01:30 America/New_York schedule once on the night 01:30 happens twice', async () => {
    const id = await addSchedule('nightly-ny', { type: 'daily', time: '01:30', timezone: 'America/New_York' });

    await walk('2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z');

    expect(await runsOf(id)).toEqual([
      '2026-10-31T05:30:00.000Z nothing-to-do', // EDT
      '2026-11-01T05:30:00.000Z nothing-to-do', // 01:30 EDT; the repeated 01:30 EST does not run again
      '2026-11-02T06:30:00.000Z nothing-to-do', // EST
    ]);
  });
});
