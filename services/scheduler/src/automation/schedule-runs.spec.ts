import type { ScheduleSpecV1 } from '@lockstep/contracts';
import { planRuns, type ScheduleFacts } from './schedule-runs';

const daily: ScheduleSpecV1 = { type: 'daily', time: '03:00', timezone: 'Europe/Berlin' };
const schedule = (lastDueAt: string | null): ScheduleFacts => ({
  id: 's1',
  name: 'nightly',
  spec: daily,
  lastDueAt: lastDueAt ? new Date(lastDueAt) : null,
  firstSeenAt: new Date('2026-01-01T00:00:00Z'),
});
const opts = { graceMs: 60_000, missed: 'run-once' as const, catchUpLimitMs: 24 * 3600_000 };

describe(planRuns.name, () => {
  it('fires a run that is due now, once: after it is recorded nothing is due', () => {
    const now = new Date('2026-03-10T02:00:30Z'); // 03:00:30 in Berlin (CET)

    const first = planRuns(schedule('2026-03-09T02:00:00Z'), now, opts);
    const again = planRuns(schedule('2026-03-10T02:00:00Z'), now, opts);

    expect(first).toEqual({
      fire: { key: 's1@2026-03-10T02:00:00.000Z', dueAt: new Date('2026-03-10T02:00:00Z'), late: false },
    });
    expect(again).toEqual({});
  });

  it('fires nothing before the run is due', () => {
    expect(planRuns(schedule('2026-03-09T02:00:00Z'), new Date('2026-03-10T01:59:59Z'), opts)).toEqual({});
  });

  it('runs the latest missed run once on recovery and records the earlier ones as skipped (run-once)', () => {
    const now = new Date('2026-03-12T09:00:00Z'); // down since the 9th: runs of the 10th, 11th, 12th missed

    const plan = planRuns(schedule('2026-03-09T02:00:00Z'), now, opts);

    expect(plan.fire).toEqual({
      key: 's1@2026-03-12T02:00:00.000Z',
      dueAt: new Date('2026-03-12T02:00:00Z'),
      late: true,
    });
    expect(plan.skipped).toEqual({
      key: 's1@2026-03-11T02:00:00.000Z',
      dueAt: new Date('2026-03-11T02:00:00Z'),
      count: 2,
      first: new Date('2026-03-10T02:00:00Z'),
    });
  });

  it.each([
    ['skip', { ...opts, missed: 'skip' as const }],
    ['a missed run older than the catch-up limit', { ...opts, catchUpLimitMs: 3600_000 }],
  ])('records every missed run as skipped and fires none: %s', (_what, o) => {
    const plan = planRuns(schedule('2026-03-09T02:00:00Z'), new Date('2026-03-12T09:00:00Z'), o);

    expect(plan.fire).toBeUndefined();
    expect(plan.skipped).toMatchObject({ key: 's1@2026-03-12T02:00:00.000Z', count: 3 });
  });

  it('starts a schedule without recorded runs where a replica first saw it: no run of the days before fires', () => {
    const fresh = { ...schedule(null), firstSeenAt: new Date('2026-03-10T01:00:00Z') };

    const dueNow = planRuns(fresh, new Date('2026-03-10T02:00:30Z'), opts);
    const seenLater = planRuns(
      { ...fresh, firstSeenAt: new Date('2026-03-10T02:00:10Z') },
      new Date('2026-03-10T02:00:30Z'),
      opts,
    );

    expect(dueNow).toEqual({
      fire: { key: 's1@2026-03-10T02:00:00.000Z', dueAt: new Date('2026-03-10T02:00:00Z'), late: false },
    });
    expect(seenLater).toEqual({});
  });

  it('starts a schedule enabled again where it was seen again, not at its last run (the runs while it was off were not missed)', () => {
    const again = { ...schedule('2026-03-01T02:00:00Z'), firstSeenAt: new Date('2026-03-09T12:00:00Z') };

    expect(planRuns(again, new Date('2026-03-10T02:00:30Z'), opts)).toEqual({
      fire: { key: 's1@2026-03-10T02:00:00.000Z', dueAt: new Date('2026-03-10T02:00:00Z'), late: false },
    });
  });

  it('fires the 02:30 New York run once on the day 02:30 does not exist, and once on the day it exists twice', () => {
    const ny: ScheduleFacts = {
      ...schedule(null),
      spec: { type: 'daily', time: '02:30', timezone: 'America/New_York' },
    };
    const springDue = planRuns(
      { ...ny, lastDueAt: new Date('2026-03-07T07:30:00Z') },
      new Date('2026-03-08T08:00:00Z'),
      opts,
    );
    const fallDue = planRuns({ ...ny, lastDueAt: new Date('2026-10-31T06:30:00Z') }, new Date('2026-11-01T12:00:00Z'), {
      ...opts,
      graceMs: 24 * 3600_000,
    });

    expect(springDue.fire?.dueAt).toEqual(new Date('2026-03-08T07:00:00Z')); // 03:00 EDT, the first time after the gap, once
    expect(springDue.skipped).toBeUndefined();
    expect(fallDue.fire?.dueAt).toEqual(new Date('2026-11-01T07:30:00Z')); // 02:30 EST, once
    expect(fallDue.skipped).toBeUndefined();
  });
});
