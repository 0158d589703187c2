import { formatIssues, MaintenanceWindowSpecV1, ScheduleSpecV1 } from '@lockstep/contracts';
import type { z } from 'zod';

const validSchedules: unknown[][] = [
  [{ type: 'daily', time: '02:30', timezone: 'America/New_York' }],
  [{ type: 'weekly', time: '03:00', days: ['sun', 'wed'], timezone: 'Europe/Berlin' }],
  [{ type: 'monthly', time: '00:15', days: [1, 31], timezone: 'UTC' }],
  [{ type: 'custom', cron: '0 3 * * sun', timezone: 'Asia/Kolkata' }],
];

const invalidSchedules: [string, unknown, string][] = [
  [
    'an unknown time zone',
    { type: 'daily', time: '02:30', timezone: 'Mars/Base' },
    'timezone: must be an IANA time zone name, e.g. Europe/Berlin',
  ],
  [
    'weekly without days',
    { type: 'weekly', time: '03:00', timezone: 'UTC' },
    'days: a weekly schedule needs days as weekday names, e.g. ["sun"]',
  ],
  [
    'weekly with days of the month',
    { type: 'weekly', time: '03:00', days: [1], timezone: 'UTC' },
    'a weekly schedule needs days as weekday names',
  ],
  [
    'monthly with weekday names',
    { type: 'monthly', time: '03:00', days: ['mon'], timezone: 'UTC' },
    'a monthly schedule needs days of the month 1..31',
  ],
  ['a day of the month out of range', { type: 'monthly', time: '03:00', days: [32], timezone: 'UTC' }, 'days.0'],
  ['an unknown weekday name', { type: 'weekly', time: '03:00', days: ['sunday'], timezone: 'UTC' }, 'days.0'],
  [
    'a time without leading zero',
    { type: 'daily', time: '3:00', timezone: 'UTC' },
    'time: must be a 24-hour time HH:MM',
  ],
  ['daily without time', { type: 'daily', timezone: 'UTC' }, 'time: a daily schedule needs a time HH:MM'],
  ['custom without cron', { type: 'custom', timezone: 'UTC' }, 'cron: a custom schedule needs a cron expression'],
  [
    'custom with a bad cron',
    { type: 'custom', cron: '61 * * * *', timezone: 'UTC' },
    'cron: CronPattern: Invalid value for minute: 61',
  ],
  ['custom with a time', { type: 'custom', cron: '0 3 * * *', time: '03:00', timezone: 'UTC' }, 'drop time and days'],
  [
    'cron on a daily schedule',
    { type: 'daily', time: '03:00', cron: '0 3 * * *', timezone: 'UTC' },
    'cron is only for type custom',
  ],
  [
    'an unknown type',
    { type: 'hourly', time: '03:00', timezone: 'UTC' },
    'type: must be one of daily, weekly, monthly, custom',
  ],
  ['an unknown field', { type: 'daily', time: '03:00', timezone: 'UTC', at: 1 }, 'unknown field "at"'],
];

const validWindows: unknown[][] = [
  [{ start: '0 22 * * *', duration: '4h', timezone: 'Europe/Berlin' }],
  [{ start: { time: '22:00' }, duration: '90m', timezone: 'UTC' }],
  [{ start: { days: ['sat', 'sun'], time: '01:00' }, duration: '1d', timezone: 'UTC' }],
];

const invalidWindows: [string, unknown, string][] = [
  [
    'a duration without unit grammar',
    { start: '0 22 * * *', duration: 'two hours', timezone: 'UTC' },
    'duration: must be a positive duration with a unit, e.g. 30m, 2h or 1d',
  ],
  // settings read a bare number as milliseconds; on the wire the unit is required
  ['a duration without its unit', { start: '0 22 * * *', duration: '3', timezone: 'UTC' }, 'with a unit'],
  [
    'a zero duration',
    { start: '0 22 * * *', duration: '0h', timezone: 'UTC' },
    'duration: must be a positive duration',
  ],
  ['a bad cron start', { start: '0 25 * * *', duration: '1h', timezone: 'UTC' }, 'Invalid value for hour'],
  [
    'an empty days list',
    { start: { days: [], time: '01:00' }, duration: '1h', timezone: 'UTC' },
    'list at least one weekday',
  ],
  ['an unknown time zone', { start: '0 1 * * *', duration: '1h', timezone: 'Berlin' }, 'e.g. Europe/Berlin'],
];

describe.each([
  ['ScheduleSpecV1', ScheduleSpecV1 as z.ZodType, validSchedules, invalidSchedules],
  ['MaintenanceWindowSpecV1', MaintenanceWindowSpecV1 as z.ZodType, validWindows, invalidWindows],
])('%s', (_, schema, valid, invalid) => {
  const problems = (v: unknown): string => {
    const result = schema.safeParse(v);
    return result.success ? '' : formatIssues(result.error);
  };

  it.each(valid)('accepts %j', (spec) => {
    expect(problems(spec)).toBe('');
  });

  it.each(invalid)('rejects %s, saying what is allowed', (_, spec, message) => {
    expect(problems(spec)).toContain(message);
  });
});
