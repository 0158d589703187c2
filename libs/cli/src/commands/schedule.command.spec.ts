import type { ScheduleView } from '@lockstep/contracts';
import { jsonResponse, problemResponse, recordingCli } from '../testing/fake-api';

const VIEW: ScheduleView = {
  id: '6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f60',
  name: 'sunday-night',
  spec: { type: 'weekly', time: '03:00', days: ['sun'], timezone: 'Europe/Berlin' },
  components: ['shop'],
  classes: ['patch', 'security'],
  enabled: true,
  nextRuns: ['2026-12-13T02:00:00.000Z', '2026-12-20T02:00:00.000Z'],
  nextRunsLocal: ['2026-12-13 03:00 Europe/Berlin', '2026-12-20 03:00 Europe/Berlin'],
  lastRuns: [
    {
      dueAt: '2026-12-06T02:00:00.000Z',
      firedAt: '2026-12-06T02:00:02.000Z',
      outcome: 'started',
      rolloutIds: ['0b6f3c1e-1d2a-4c3b-9e8f-7a6b5c4d3e2f'],
      detail: '',
    },
  ],
};

/** `lockstep schedule …` against the fake API (which refuses what the real API would). */
describe('lockstep schedule', () => {
  const { lockstep, seen, reset } = recordingCli(Date.parse('2026-12-07T12:00:00Z'));

  beforeEach(() => {
    reset();
    seen.answer = () => jsonResponse(200, VIEW);
  });

  it('adds a weekly schedule with components, classes and days, and says when it runs next', async () => {
    seen.answer = () => jsonResponse(201, VIEW);

    const code = await lockstep([
      'schedule',
      'add',
      'sunday-night',
      '--type',
      'weekly',
      '--time',
      '03:00',
      '--days',
      'Sun',
      '--timezone',
      'Europe/Berlin',
      '--components',
      'shop',
      '--classes',
      'security,patch',
    ]);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([
      {
        method: 'POST',
        url: 'http://api.test/v1/schedules',
        body: {
          name: 'sunday-night',
          type: 'weekly',
          time: '03:00',
          days: ['sun'],
          timezone: 'Europe/Berlin',
          components: ['shop'],
          classes: ['security', 'patch'],
        },
      },
    ]);
    expect(seen.out).toBe(
      'added schedule sunday-night: weekly sun 03:00 Europe/Berlin; next run 2026-12-13 03:00 Europe/Berlin\n',
    );
  });

  it('sends days of the month as numbers, a custom cron, and --disabled', async () => {
    await lockstep([
      'schedule',
      'add',
      'mid',
      '--type',
      'monthly',
      '--time',
      '00:15',
      '--days',
      '1,15',
      '--timezone',
      'UTC',
    ]);
    await lockstep([
      'schedule',
      'add',
      'c',
      '--type',
      'custom',
      '--cron',
      '0 3 * * sun',
      '--timezone',
      'UTC',
      '--disabled',
    ]);

    expect(seen.sent.map((r) => r.body)).toEqual([
      { name: 'mid', type: 'monthly', time: '00:15', days: [1, 15], timezone: 'UTC' },
      { name: 'c', type: 'custom', cron: '0 3 * * sun', timezone: 'UTC', enabled: false },
    ]);
  });

  it.each([
    [['--type', 'daily', '--time', '25:00'], 'time: must be a 24-hour time HH:MM, e.g. 03:00 or 22:30'],
    [['--type', 'weekly', '--time', '03:00', '--days', 'funday'], 'days.0: must be a weekday name: mon, tue'],
    [['--type', 'custom', '--cron', '61 * * * *'], 'cron: CronPattern: Invalid value for minute: 61'],
    [['--type', 'daily', '--time', '03:00', '--classes', 'urgent'], 'classes.0: must be an update class'],
    [['--type', 'weekly', '--time', '03:00'], 'days: a weekly schedule needs days as weekday names'],
  ])('refuses %j before sending anything, with the API’s message', async (args, message) => {
    const code = await lockstep(['schedule', 'add', 'x', '--timezone', 'UTC', ...args]);

    expect(code).toBe(2);
    expect(seen.err).toContain(`invalid schedule: ${message}`);
    expect(seen.sent).toEqual([]);
  });

  it('refuses an unknown time zone before sending anything', async () => {
    const code = await lockstep([
      'schedule',
      'add',
      'x',
      '--type',
      'daily',
      '--time',
      '03:00',
      '--timezone',
      'Mars/Olympus',
    ]);

    expect(code).toBe(2);
    expect(seen.err).toContain('timezone: must be an IANA time zone name');
    expect(seen.sent).toEqual([]);
  });

  it('lists schedules with the next run in each one’s zone and the last run', async () => {
    seen.answer = () =>
      jsonResponse(200, {
        items: [VIEW, { ...VIEW, name: 'off', enabled: false, nextRuns: [], nextRunsLocal: [], lastRuns: [] }],
      });

    const code = await lockstep(['schedule', 'list']);

    expect(code).toBe(0);
    expect(seen.out.split('\n')).toEqual([
      expect.stringMatching(/^NAME +STATE +WHEN +COMPONENTS +CLASSES +NEXT RUN +LAST RUN$/),
      expect.stringMatching(
        /^sunday-night +enabled +weekly sun 03:00 +shop +patch,security +2026-12-13 03:00 Europe\/Berlin +started 2026-12-06/,
      ),
      expect.stringMatching(/^off +disabled .* disabled +never$/),
      '',
    ]);
  });

  it('shows a schedule: spec, next runs in its zone and UTC, last runs with outcome', async () => {
    const code = await lockstep(['schedule', 'show', 'sunday-night']);

    expect(code).toBe(0);
    expect(seen.sent[0].url).toBe('http://api.test/v1/schedules/sunday-night');
    expect(seen.out).toContain('2026-12-13 03:00 Europe/Berlin  (2026-12-13 02:00:00Z)');
    expect(seen.out).toMatch(/started +0b6f3c1e/);
  });

  it('--json prints the API’s answer', async () => {
    await lockstep(['schedule', 'show', 'sunday-night', '--json']);

    expect(JSON.parse(seen.out)).toEqual(VIEW);
  });

  it.each([
    ['enable', 'PATCH', { enabled: true }, 'enabled schedule sunday-night'],
    ['disable', 'PATCH', { enabled: false }, 'disabled schedule sunday-night'],
    ['rm', 'DELETE', undefined, 'deleted schedule sunday-night'],
  ])('%s sends %s', async (verb, method, body, said) => {
    const code = await lockstep(['schedule', verb, 'sunday-night']);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([{ method, url: 'http://api.test/v1/schedules/sunday-night', body }]);
    expect(seen.out).toContain(said);
  });

  it.each([['show'], ['enable'], ['rm']])('%s refuses a malformed name before sending anything', async (verb) => {
    const code = await lockstep(['schedule', verb, 'Sunday_Night']);

    expect(code).toBe(2);
    expect(seen.err).toContain('"Sunday_Night" is not a schedule name: a name is 1-63 lowercase letters');
    expect(seen.sent).toEqual([]);
  });

  it('prints the API’s 409 for a name in use and exits 1', async () => {
    seen.answer = () => problemResponse(409, 'NAME_TAKEN', 'a schedule named sunday-night already exists; …');

    const code = await lockstep([
      'schedule',
      'add',
      'sunday-night',
      '--type',
      'daily',
      '--time',
      '03:00',
      '--timezone',
      'UTC',
    ]);

    expect(code).toBe(1);
    expect(seen.err).toContain('a schedule named sunday-night already exists');
  });
});
