import { ScheduleSpecV1 } from '@lockstep/contracts';
import { nextRunAfter, nextRuns, runKey, runsBetween, toCron } from '@lockstep/scheduling';

const spec = (v: unknown): ScheduleSpecV1 => ScheduleSpecV1.parse(v);
const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());
/** Wall-clock date and time of `d` in `timeZone`, e.g. 2026-03-29 03:00 (Sunday). */
const local = (d: Date, timeZone: string): string =>
  new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'short' }).format(d) +
  ` (${new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'long' }).format(d)})`;

describe('toCron', () => {
  it.each([
    [{ type: 'daily', time: '02:30', timezone: 'UTC' }, '30 2 * * *'],
    [{ type: 'weekly', time: '03:00', days: ['sun'], timezone: 'UTC' }, '0 3 * * sun'],
    [{ type: 'weekly', time: '22:05', days: ['mon', 'fri'], timezone: 'UTC' }, '5 22 * * mon,fri'],
    [{ type: 'monthly', time: '00:00', days: [1, 15], timezone: 'UTC' }, '0 0 1,15 * *'],
    [{ type: 'custom', cron: '*/15 * * * *', timezone: 'UTC' }, '*/15 * * * *'],
  ])('%j → %s', (input, expected) => {
    expect(toCron(spec(input))).toBe(expected);
  });
});

describe('acceptance 1: time across DST', () => {
  it('a weekly Sunday 03:00 Europe/Berlin schedule fires 52 times in 2026, each at 03:00 local', () => {
    const sut = spec({ type: 'weekly', time: '03:00', days: ['sun'], timezone: 'Europe/Berlin' });

    const runs = runsBetween(sut, new Date('2025-12-31T23:00:00Z'), new Date('2026-12-31T23:00:00Z'));

    expect(runs).toHaveLength(52);
    expect(new Set(runs.map((r) => local(r, 'Europe/Berlin').slice(11)))).toEqual(new Set(['03:00 (Sunday)']));
    const summer = (r: Date) => r >= new Date('2026-03-29T01:00:00Z') && r < new Date('2026-10-25T01:00:00Z');
    for (const r of runs) expect(r.getUTCHours()).toBe(summer(r) ? 1 : 2);
    expect(iso(runs)).toEqual(expect.arrayContaining(['2026-03-29T01:00:00.000Z', '2026-10-25T02:00:00.000Z']));
    // One run per Sunday: consecutive runs are a week apart, give or take the hour DST moves.
    const gaps = runs.slice(1).map((r, i) => (r.getTime() - runs[i].getTime()) / 3_600_000);
    expect(new Set(gaps)).toEqual(new Set([168, 167, 169]));
  });

  it.each([
    // 02:30 does not exist on 2026-03-08 (02:00 EST jumps to 03:00 EDT): croner runs a fixed-time
    // job at the first valid time after the gap, 03:00 EDT, once.
    ['2026-03-08', ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']],
    // On 2026-11-01 New York repeats 01:00-01:59, so 02:30 EST (07:30Z) exists once and runs once.
    ['2026-11-01', ['2026-10-31T06:30:00.000Z', '2026-11-01T07:30:00.000Z', '2026-11-02T07:30:00.000Z']],
  ])('a daily 02:30 America/New_York schedule fires once on %s', (day, expected) => {
    const sut = spec({ type: 'daily', time: '02:30', timezone: 'America/New_York' });
    const dayBefore = new Date(`${day}T00:00:00Z`);
    dayBefore.setUTCDate(dayBefore.getUTCDate() - 1);

    const runs = nextRuns(sut, dayBefore, 3);

    expect(iso(runs)).toEqual(expected);
    expect(runs.filter((r) => local(r, 'America/New_York').startsWith(day))).toHaveLength(1);
  });

  it('a daily 01:30 America/New_York schedule fires once, at the first 01:30, when 01:30 happens twice', () => {
    const sut = spec({ type: 'daily', time: '01:30', timezone: 'America/New_York' });

    const runs = runsBetween(sut, new Date('2026-11-01T00:00:00Z'), new Date('2026-11-02T00:00:00Z'));

    expect(iso(runs)).toEqual(['2026-11-01T05:30:00.000Z']); // 01:30 EDT; 01:30 EST (06:30Z) is skipped
  });
});

describe('a daily schedule on transition days elsewhere runs exactly once', () => {
  it.each([
    // Lord Howe moves its clocks by 30 minutes: 02:00 jumps to 02:30, so 02:15 runs at 02:30.
    ['Australia/Lord_Howe', '02:15', '2026-10-04', '2026-10-03T15:30:00.000Z', '02:30'],
    // Sydney falls back 03:00 AEDT → 02:00 AEST: 02:30 happens twice, the AEDT one runs.
    ['Australia/Sydney', '02:30', '2026-04-05', '2026-04-04T15:30:00.000Z', '02:30'],
    ['Australia/Sydney', '02:30', '2026-10-04', '2026-10-03T16:00:00.000Z', '03:00'],
    ['Europe/London', '01:30', '2026-03-29', '2026-03-29T01:00:00.000Z', '02:00'],
    ['Europe/London', '01:30', '2026-10-25', '2026-10-25T00:30:00.000Z', '01:30'],
    ['Asia/Kolkata', '02:30', '2026-03-08', '2026-03-07T21:00:00.000Z', '02:30'],
  ])('%s %s on %s runs once, at %s (%s local)', (timezone, time, day, instant, wall) => {
    const sut = spec({ type: 'daily', time, timezone });
    const around = (days: number) => new Date(new Date(`${day}T12:00:00Z`).getTime() + days * 86_400_000);

    const onDay = runsBetween(sut, around(-3), around(3)).filter((r) => local(r, timezone).startsWith(day));

    expect(iso(onDay)).toEqual([instant]);
    expect(local(onDay[0], timezone).slice(11, 16)).toBe(wall);
  });
});

describe('monthly and custom schedules', () => {
  it('a monthly schedule on the 31st skips months without a 31st', () => {
    const sut = spec({ type: 'monthly', time: '04:00', days: [31], timezone: 'UTC' });

    const runs = nextRuns(sut, new Date('2026-01-01T00:00:00Z'), 4);

    expect(iso(runs)).toEqual([
      '2026-01-31T04:00:00.000Z',
      '2026-03-31T04:00:00.000Z',
      '2026-05-31T04:00:00.000Z',
      '2026-07-31T04:00:00.000Z',
    ]);
  });

  it('a custom interval schedule runs on both passes through a repeated hour (croner interval job)', () => {
    const sut = spec({ type: 'custom', cron: '0 * * * *', timezone: 'Europe/Berlin' });

    const runs = runsBetween(sut, new Date('2026-10-24T23:30:00Z'), new Date('2026-10-25T02:30:00Z'));

    expect(iso(runs)).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET, the repeated hour
      '2026-10-25T02:00:00.000Z',
    ]);
  });
});

describe('run instants and keys', () => {
  const daily = spec({ type: 'daily', time: '03:00', timezone: 'UTC' });

  it.each([
    ['just before a run', '2026-05-01T02:59:59.999Z', '2026-05-01T03:00:00.000Z'],
    ['exactly at a run (strictly after)', '2026-05-01T03:00:00.000Z', '2026-05-02T03:00:00.000Z'],
    ['just after a run', '2026-05-01T03:00:00.001Z', '2026-05-02T03:00:00.000Z'],
  ])('nextRunAfter %s', (_, t, expected) => {
    expect(nextRunAfter(daily, new Date(t))?.toISOString()).toBe(expected);
  });

  it('runsBetween lists the runs missed after the last recorded run, up to and including now', () => {
    const lastRun = new Date('2026-05-01T03:00:00Z');
    const now = new Date('2026-05-04T03:00:00Z');

    const missed = runsBetween(daily, lastRun, now);

    expect(iso(missed)).toEqual(['2026-05-02T03:00:00.000Z', '2026-05-03T03:00:00.000Z', '2026-05-04T03:00:00.000Z']);
  });

  it('runsBetween stops at its limit', () => {
    expect(runsBetween(daily, new Date('2020-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'), 5)).toHaveLength(5);
  });

  it('runKey is the schedule id and the ISO instant, the same for the same run', () => {
    const instant = new Date('2026-03-29T01:00:00Z');

    expect(runKey('sch-1', instant)).toBe('sch-1@2026-03-29T01:00:00.000Z');
    expect(runKey('sch-1', new Date(instant.getTime()))).toBe(runKey('sch-1', instant));
  });
});
