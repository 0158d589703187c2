import type { WindowView } from '@lockstep/contracts';
import { weekendWindowBody } from '@lockstep/testing';
import { jsonResponse, recordingCli } from '../testing/fake-api';

const VIEW: WindowView = {
  id: '6f1c2a52-3c1e-4a57-9d0e-2b1c3d4e5f61',
  name: 'weekend',
  spec: { start: { days: ['fri', 'sat'], time: '23:00' }, duration: '3h', timezone: 'Europe/Amsterdam' },
  components: ['shop'],
  nodeLabels: { group: 'canary' },
  enabled: true,
  open: false,
  opensAt: '2026-12-11T22:00:00.000Z',
  closesAt: '2026-12-12T01:00:00.000Z',
  opensAtLocal: '2026-12-11 23:00 Europe/Amsterdam',
  closesAtLocal: '2026-12-12 02:00 Europe/Amsterdam',
};

/** `lockstep windows …` against the fake API (which refuses what the real API would). */
describe('lockstep windows', () => {
  const { lockstep, seen, reset } = recordingCli(Date.parse('2026-12-07T12:00:00Z'));

  beforeEach(() => {
    reset();
    seen.answer = () => jsonResponse(200, VIEW);
  });

  it('adds a window from weekdays plus a time, with components and node labels', async () => {
    const code = await lockstep([
      'windows',
      'add',
      'weekend',
      '--days',
      'sat,sun',
      '--time',
      '22:00',
      '--duration',
      '4h',
      '--timezone',
      'Europe/Berlin',
      '--components',
      'shop',
      '--labels',
      'group=canary',
    ]);

    expect(code).toBe(0);
    expect(seen.sent[0]).toEqual({
      method: 'POST',
      url: 'http://api.test/v1/windows',
      body: weekendWindowBody,
    });
    expect(seen.out).toBe('added window weekend: closed; opens 2026-12-11 23:00 Europe/Amsterdam\n');
  });

  it('adds a window from a cron expression', async () => {
    await lockstep(['windows', 'add', 'nightly', '--cron', '0 2 * * *', '--duration', '90m', '--timezone', 'UTC']);

    expect(seen.sent[0].body).toEqual({ name: 'nightly', start: '0 2 * * *', duration: '90m', timezone: 'UTC' });
  });

  it.each([
    [['--cron', '61 * * * *'], 'invalid window: start: CronPattern: Invalid value for minute: 61'],
    [['--time', '25:00'], 'invalid window: start.time: must be a 24-hour time HH:MM'],
    [['--days', 'funday', '--time', '22:00'], 'invalid window: start: days.0: must be a weekday name: mon'],
    [['--time', '22:00', '--timezone', 'Mars/Olympus'], 'timezone: must be an IANA time zone name'],
    [['--cron', '0 2 * * *', '--time', '22:00'], 'give either --cron, or --time'],
    [['--days', 'sat'], 'say when the window opens'],
    [['--time', '22:00', '--labels', 'canary'], '--labels "canary" is not key=value'],
  ])('refuses %j before sending anything', async (args, message) => {
    const code = await lockstep(['windows', 'add', 'w', '--duration', '4h', '--timezone', 'UTC', ...args]);

    expect(code).toBe(2);
    expect(seen.err).toContain(message);
    expect(seen.sent).toEqual([]);
  });

  it('lists windows (the default): which are open, when each opens and closes in its zone', async () => {
    seen.answer = () =>
      jsonResponse(200, {
        items: [
          { ...VIEW, name: 'now', open: true, components: [], nodeLabels: {} },
          VIEW,
          {
            ...VIEW,
            name: 'off',
            enabled: false,
            opensAt: null,
            closesAt: null,
            opensAtLocal: null,
            closesAtLocal: null,
          },
        ],
      });

    const code = await lockstep(['windows']);

    expect(code).toBe(0);
    expect(seen.out.split('\n')).toEqual([
      expect.stringMatching(/^NAME +STATE +OPENS +CLOSES +START +COMPONENTS +LABELS$/),
      expect.stringMatching(
        /^now +OPEN +since 2026-12-11 23:00 Europe\/Amsterdam +2026-12-12 02:00 Europe\/Amsterdam +fri,sat 23:00 \+3h +all +all nodes$/,
      ),
      expect.stringMatching(/^weekend +closed +2026-12-11 23:00 Europe\/Amsterdam .* shop +group=canary$/),
      expect.stringMatching(/^off +disabled +- +- /),
      '',
    ]);
  });

  it('shows one window; --json prints the API’s answer', async () => {
    await lockstep(['windows', 'show', 'weekend']);
    const text = seen.out;
    reset();
    seen.answer = () => jsonResponse(200, VIEW);
    await lockstep(['windows', 'show', 'weekend', '--json']);

    expect(text).toContain('2026-12-11 23:00 Europe/Amsterdam (2026-12-11T22:00:00.000Z)');
    expect(JSON.parse(seen.out)).toEqual(VIEW);
  });

  it.each([
    ['enable', 'PATCH', { enabled: true }],
    ['disable', 'PATCH', { enabled: false }],
    ['rm', 'DELETE', undefined],
  ])('%s sends %s', async (verb, method, body) => {
    const code = await lockstep(['windows', verb, 'weekend']);

    expect(code).toBe(0);
    expect(seen.sent).toEqual([{ method, url: 'http://api.test/v1/windows/weekend', body }]);
  });
});
