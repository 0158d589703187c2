import { BackupEngineError } from './errors';
import {
  formatCompactDuration,
  isoWeek,
  selectRetention,
  type RetentionCandidate,
  type RetentionPolicy,
} from './retention';

const NOW = new Date('2025-03-15T12:00:00Z');
const DAY = 86_400_000;

/** A backup in group `g` unless told otherwise. */
const b = (id: string, at: string, extra: Partial<RetentionCandidate> = {}): RetentionCandidate => ({
  id,
  createdAt: new Date(at),
  group: 'g',
  ...extra,
});

/** One backup a day at noon, `days` days back from NOW (0 = today), newest first: d0, d1, ... */
const daily = (days: number): RetentionCandidate[] =>
  Array.from({ length: days }, (_, i) => b(`d${i}`, new Date(NOW.getTime() - i * DAY).toISOString()));

const kept = (backups: RetentionCandidate[], policy: RetentionPolicy): string[] =>
  selectRetention(backups, policy, NOW).keep.map((k) => k.id);

describe(selectRetention.name, () => {
  it.each<[string, RetentionCandidate[], RetentionPolicy, string[]]>([
    ['no limits keeps everything', daily(5), {}, ['d0', 'd1', 'd2', 'd3', 'd4']],
    [
      'limits of 0 count as unset',
      daily(5),
      { keepLast: 0, maxAgeMs: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 },
      ['d0', 'd1', 'd2', 'd3', 'd4'],
    ],
    ['keepLast keeps the newest n', daily(5), { keepLast: 2 }, ['d0', 'd1']],
    ['keepLast larger than the group keeps all', daily(3), { keepLast: 10 }, ['d0', 'd1', 'd2']],
    ['maxAgeMs keeps the younger ones', daily(5), { maxAgeMs: 2.5 * DAY }, ['d0', 'd1', 'd2']],
    ['maxAgeMs is exclusive at the boundary', daily(5), { maxAgeMs: 2 * DAY }, ['d0', 'd1']],
    [
      'keepLast and maxAgeMs must both hold (count limits)',
      daily(5),
      { keepLast: 2, maxAgeMs: 10 * DAY },
      ['d0', 'd1'],
    ],
    ['keepLast and maxAgeMs must both hold (age limits)', daily(5), { keepLast: 4, maxAgeMs: 1.5 * DAY }, ['d0', 'd1']],
    [
      'the newest is kept even when too old',
      [b('old', '2020-01-01T00:00:00Z'), b('older', '2019-01-01T00:00:00Z')],
      { maxAgeMs: DAY },
      ['old'],
    ],
    [
      'pinned is kept outside every limit',
      [...daily(3), b('pin', '2020-01-01T00:00:00Z', { pinned: true })],
      { keepLast: 1 },
      ['d0', 'pin'],
    ],
    [
      'future-dated backups count as young',
      [b('future', '2025-03-20T00:00:00Z'), b('now', '2025-03-15T11:00:00Z')],
      { maxAgeMs: DAY },
      ['future', 'now'],
    ],
    ['empty input', [], { keepLast: 1 }, []],
    [
      'keepDaily keeps the newest of each of the last n days with backups',
      [
        b('mar15-late', '2025-03-15T10:00:00Z'),
        b('mar15-early', '2025-03-15T01:00:00Z'),
        b('mar12-late', '2025-03-12T23:59:59Z'),
        b('mar12-early', '2025-03-12T00:00:00Z'),
        b('mar10', '2025-03-10T12:00:00Z'),
      ],
      { keepDaily: 2 },
      ['mar15-late', 'mar12-late'],
    ],
    [
      'keepDaily uses UTC days',
      [
        b('mar15-0030', '2025-03-15T00:30:00Z'),
        b('mar14-2330', '2025-03-14T23:30:00Z'),
        b('mar14-0100', '2025-03-14T01:00:00Z'),
      ],
      { keepDaily: 2 },
      ['mar15-0030', 'mar14-2330'],
    ],
    [
      'keepWeekly splits ISO weeks between Sunday and Monday',
      [
        b('mon10', '2025-03-10T08:00:00Z'),
        b('sun09', '2025-03-09T20:00:00Z'),
        b('mon03', '2025-03-03T08:00:00Z'),
        b('sun02', '2025-03-02T08:00:00Z'),
      ],
      { keepWeekly: 2 },
      ['mon10', 'sun09'],
    ],
    [
      'keepMonthly keeps the newest of each of the last n months with backups',
      [
        b('mar', '2025-03-01T00:00:00Z'),
        b('feb-late', '2025-02-28T23:00:00Z'),
        b('feb-early', '2025-02-01T00:00:00Z'),
        b('dec', '2024-12-31T00:00:00Z'),
      ],
      { keepMonthly: 3 },
      ['mar', 'feb-late', 'dec'],
    ],
    [
      'calendar rules add to keepLast',
      [...daily(10), b('jan', '2025-01-20T00:00:00Z')],
      { keepLast: 2, keepWeekly: 3, keepMonthly: 3 },
      // last 2: d0 d1; weeks: W11 (Mar 10-16) → d0, W10 (Mar 3-9) → d6, then W04 → jan; months: Mar → d0, Jan → jan
      ['d0', 'd1', 'd6', 'jan'],
    ],
  ])('%s', (_name, backups, policy, expected) => {
    const result = kept(backups, policy);

    expect(result).toEqual(expected);
  });

  it('judges each group on its own', () => {
    const backups = [
      b('a1', '2025-03-15T00:00:00Z', { group: 'a' }),
      b('a2', '2025-03-14T00:00:00Z', { group: 'a' }),
      b('b1', '2025-01-01T00:00:00Z', { group: 'b' }),
      b('b2', '2024-12-01T00:00:00Z', { group: 'b' }),
    ];

    const sut = selectRetention(backups, { keepLast: 1 }, NOW);

    expect(sut.keep.map((k) => k.id)).toEqual(['a1', 'b1']);
    expect(sut.remove.map((r) => r.id)).toEqual(['a2', 'b2']);
  });

  it('breaks ties in creation time by id, newest id first', () => {
    const backups = [b('backup_a', '2025-03-15T00:00:00Z'), b('backup_b', '2025-03-15T00:00:00Z')];

    const sut = selectRetention(backups, { keepLast: 1 }, NOW);

    expect(sut.keep.map((k) => k.id)).toEqual(['backup_b']);
  });

  it('keeps input order in both lists', () => {
    const backups = [daily(4)[3], daily(4)[0], daily(4)[2], daily(4)[1]];

    const sut = selectRetention(backups, { keepLast: 2 }, NOW);

    expect(sut.keep.map((k) => k.id)).toEqual(['d0', 'd1']);
    expect(sut.remove.map((r) => r.id)).toEqual(['d3', 'd2']);
  });

  it('gives every reason that keeps a backup', () => {
    const backups = [b('x', '2025-03-15T06:00:00Z', { pinned: true }), b('y', '2025-03-01T00:00:00Z')];

    const sut = selectRetention(backups, { keepLast: 5, maxAgeMs: 30 * DAY, keepDaily: 1, keepMonthly: 1 }, NOW);

    expect(sut.keep).toEqual([
      {
        id: 'x',
        reasons: [
          'newest of its group',
          'pinned',
          'among the newest 5 and younger than 30d',
          'newest of day 2025-03-15',
          'newest of month 2025-03',
        ],
      },
      { id: 'y', reasons: ['among the newest 5 and younger than 30d'] },
    ]);
  });

  it.each<[string, RetentionPolicy, string]>([
    ['count', { keepLast: 1 }, 'not among the newest 1'],
    ['age', { maxAgeMs: 3 * DAY }, 'not younger than 3d'],
    ['count and age', { keepLast: 1, maxAgeMs: 3 * DAY }, 'not among the newest 1; not younger than 3d'],
    [
      'calendar only',
      { keepDaily: 1, keepWeekly: 1 },
      'not the newest of its day/week/month within the last 1 day(s), 1 week(s) with backups',
    ],
  ])('says why a backup goes (%s)', (_name, policy, reason) => {
    const backups = [b('new', '2025-03-15T00:00:00Z'), b('old', '2025-03-01T00:00:00Z')];

    const sut = selectRetention(backups, policy, NOW);

    expect(sut.remove).toEqual([{ id: 'old', reason }]);
  });

  it.each<[string, RetentionPolicy]>([
    ['negative keepLast', { keepLast: -1 }],
    ['fractional keepDaily', { keepDaily: 1.5 }],
    ['NaN maxAgeMs', { maxAgeMs: Number.NaN }],
    ['negative maxAgeMs', { maxAgeMs: -5 }],
  ])('refuses a policy with %s, naming the limit', (_name, policy) => {
    const act = () => selectRetention(daily(2), policy, NOW);

    expect(act).toThrow(BackupEngineError);
    expect(act).toThrow(new RegExp(`retention ${Object.keys(policy)[0]} must be`));
  });

  it('refuses a repeated id and an invalid date', () => {
    const twice = () => selectRetention([b('x', '2025-01-01T00:00:00Z'), b('x', '2025-01-02T00:00:00Z')], {}, NOW);
    const badDate = () => selectRetention([b('y', 'not a date')], {}, NOW);

    expect(twice).toThrow(/backup x is listed twice/);
    expect(badDate).toThrow(/backup y has no valid creation time/);
  });
});

describe(isoWeek.name, () => {
  it.each([
    ['2021-01-03T12:00:00Z', '2020-W53'],
    ['2021-01-04T00:00:00Z', '2021-W01'],
    ['2024-12-30T00:00:00Z', '2025-W01'],
    ['2025-03-09T23:59:59Z', '2025-W10'],
    ['2025-03-10T00:00:00Z', '2025-W11'],
    ['2026-01-01T00:00:00Z', '2026-W01'],
    ['2027-01-01T00:00:00Z', '2026-W53'],
  ])('%s is in %s', (at, expected) => {
    expect(isoWeek(new Date(at))).toBe(expected);
  });
});

describe(formatCompactDuration.name, () => {
  it.each([
    [30 * DAY, '30d'],
    [36 * 3_600_000, '36h'],
    [90_000, '90s'],
    [1500, '1500ms'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatCompactDuration(ms)).toBe(text);
  });
});
