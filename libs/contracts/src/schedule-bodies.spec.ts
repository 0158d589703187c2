import { CreateScheduleBody, CreateWindowBody, formatIssues, ScheduleName, SetEnabledBody } from '@lockstep/contracts';
import type { z } from 'zod';

const problems = (schema: z.ZodType, value: unknown): string => {
  const parsed = schema.safeParse(value);
  return parsed.success ? 'ok' : formatIssues(parsed.error, { schema });
};

const SCHEDULE = { name: 'nightly', type: 'daily', time: '03:00', timezone: 'Europe/Berlin' };
const WINDOW = { name: 'weekend', start: { days: ['sat', 'sun'], time: '22:00' }, duration: '4h', timezone: 'UTC' };

describe('schedule and window bodies', () => {
  it.each([
    [SCHEDULE],
    [{ ...SCHEDULE, type: 'weekly', days: ['sun', 'wed'], components: ['shop'], classes: ['security', 'patch'] }],
    [{ ...SCHEDULE, type: 'monthly', days: [1, 15], enabled: false }],
    [{ name: 'c', type: 'custom', cron: '0 3 * * sun', timezone: 'UTC' }],
  ])('accepts the schedule %j', (body) => {
    expect(problems(CreateScheduleBody, body)).toBe('ok');
  });

  it.each([
    ['a time such as 25:00', { time: '25:00' }, 'time: must be a 24-hour time HH:MM, e.g. 03:00 or 22:30'],
    [
      'an unknown day',
      { type: 'weekly', days: ['funday'] },
      'days.0: must be a weekday name: mon, tue, wed, thu, fri, sat, sun (weekly), or a day of the month 1..31 (monthly)',
    ],
    ['day 0 of the month', { type: 'monthly', days: [0] }, 'days.0: a day of the month is 1..31'],
    ['an unknown zone', { timezone: 'Mars/Olympus' }, 'timezone: must be an IANA time zone name'],
    [
      'a bad cron',
      { type: 'custom', time: undefined, cron: '61 * * * *' },
      'cron: CronPattern: Invalid value for minute: 61',
    ],
    ['an unknown class', { classes: ['urgent'] }, 'classes.0: must be an update class: security, hotfix'],
    ['a name with capitals', { name: 'Nightly' }, 'name: a name is 1-63 lowercase letters, digits and dashes'],
    ['a name of 64 characters', { name: 'a'.repeat(64) }, 'name: a name is 1-63'],
    ['days on a daily schedule', { days: ['mon'] }, 'days: a daily schedule runs every day'],
    ['an unknown field', { at: '03:00' }, 'unknown field "at"; allowed fields: name, type, time, days, cron'],
  ])('refuses a schedule with %s', (_what, change, message) => {
    expect(problems(CreateScheduleBody, { ...SCHEDULE, ...change })).toContain(message);
  });

  it.each([
    [WINDOW],
    [
      {
        ...WINDOW,
        start: { time: '02:00' },
        components: ['shop'],
        nodeLabels: { group: 'canary', 'example.com/rack': 'r1' },
      },
    ],
    [{ ...WINDOW, start: '0 22 * * sat', duration: '90m' }],
  ])('accepts the window %j', (body) => {
    expect(problems(CreateWindowBody, body)).toBe('ok');
  });

  it.each([
    ['a bad cron start', { start: '61 * * * *' }, 'start: CronPattern: Invalid value for minute: 61'],
    ['a time such as 25:00', { start: { time: '25:00' } }, 'start.time: must be a 24-hour time HH:MM'],
    ['an unknown day', { start: { days: ['funday'], time: '22:00' } }, 'start: days.0: must be a weekday name: mon'],
    ['a start of another kind', { start: 5 }, 'start: must be a cron expression (e.g. "0 22 * * sat") or weekdays'],
    ['an unknown zone', { timezone: 'Mars/Olympus' }, 'timezone: must be an IANA time zone name'],
    ['a duration without unit', { duration: '3' }, 'duration:'],
    ['a label value with a comma', { nodeLabels: { group: 'a,b' } }, 'nodeLabels.group: a label value is 1-253'],
    ['a label key with a space', { nodeLabels: { 'my group': 'a' } }, 'nodeLabels.my group: a label key is 1-63'],
  ])('refuses a window with %s', (_what, change, message) => {
    expect(problems(CreateWindowBody, { ...WINDOW, ...change })).toContain(message);
  });

  it.each([
    [{ enabled: true }, 'ok'],
    [{ enabled: 'yes' }, 'enabled: enabled must be true or false'],
    [{}, 'enabled: enabled must be true or false'],
  ])('PATCH body %j → %s', (body, expected) => {
    expect(problems(SetEnabledBody, body)).toBe(expected);
  });

  it.each([
    ['nightly-patches', true],
    ['0-day', true],
    ['-x', false],
    ['', false],
    ['a_b', false],
  ])('name %j valid: %s', (name, valid) => {
    expect(ScheduleName.safeParse(name).success).toBe(valid);
  });
});
