import { MaintenanceWindowSpecV1 } from '@lockstep/contracts';
import { nextOpening, windowAt, type WindowState } from '@lockstep/scheduling';

const window = (v: unknown): MaintenanceWindowSpecV1 => MaintenanceWindowSpecV1.parse(v);
const at = (iso: string): Date => new Date(iso);
const show = (s: WindowState) => ({
  open: s.open,
  opensAt: s.opensAt?.toISOString() ?? null,
  closesAt: s.closesAt?.toISOString() ?? null,
});

describe('windowAt', () => {
  // Nightly 22:00 + 4h in Berlin. 2026-10-25 03:00 CEST falls back to 02:00 CET; 2026-03-29
  // 02:00 CET jumps to 03:00 CEST. Each opening lasts four real hours either way.
  const nightly = window({ start: { time: '22:00' }, duration: '4h', timezone: 'Europe/Berlin' });

  it.each([
    [
      'fall-back night, just before it opens',
      '2026-10-24T19:59:59.999Z',
      false,
      '2026-10-24T20:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
    ],
    [
      'fall-back night, as it opens (22:00 CEST)',
      '2026-10-24T20:00:00.000Z',
      true,
      '2026-10-24T20:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
    ],
    [
      'fall-back night, after midnight and the change',
      '2026-10-24T23:59:59.999Z',
      true,
      '2026-10-24T20:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
    ],
    [
      'fall-back night, as it closes (01:00 CET)',
      '2026-10-25T00:00:00.000Z',
      false,
      '2026-10-25T21:00:00.000Z',
      '2026-10-26T01:00:00.000Z',
    ],
    [
      'spring-forward night, as it opens (22:00 CET)',
      '2026-03-28T21:00:00.000Z',
      true,
      '2026-03-28T21:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
    ],
    [
      'spring-forward night, just before it closes (02:59 CEST)',
      '2026-03-29T00:59:59.999Z',
      true,
      '2026-03-28T21:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
    ],
    [
      'spring-forward night, as it closes (03:00 CEST)',
      '2026-03-29T01:00:00.000Z',
      false,
      '2026-03-29T20:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
    ],
  ])('%s', (_, t, open, opensAt, closesAt) => {
    expect(show(windowAt(nightly, at(t)))).toEqual({ open, opensAt, closesAt });
  });

  it.each([['2026-10-24T20:00:00Z'], ['2026-03-28T21:00:00Z'], ['2026-06-13T20:00:00Z']])(
    'the opening at %s is open for exactly four real hours',
    (opens) => {
      const state = windowAt(nightly, at(opens));

      expect(state.open).toBe(true);
      expect(state.closesAt!.getTime() - state.opensAt!.getTime()).toBe(4 * 3_600_000);
    },
  );

  it('a cron start on given weekdays is closed on other days', () => {
    const sut = window({ start: '0 1 * * sat', duration: '2h', timezone: 'UTC' });

    expect(show(windowAt(sut, at('2026-05-07T01:30:00Z')))).toEqual({
      open: false,
      opensAt: '2026-05-09T01:00:00.000Z',
      closesAt: '2026-05-09T03:00:00.000Z',
    });
    expect(windowAt(sut, at('2026-05-09T01:30:00Z')).open).toBe(true);
  });

  it('overlapping openings merge into one', () => {
    const sut = window({ start: '0 8,12 * * *', duration: '6h', timezone: 'UTC' });

    expect(show(windowAt(sut, at('2026-05-07T13:00:00Z')))).toEqual({
      open: true,
      opensAt: '2026-05-07T08:00:00.000Z',
      closesAt: '2026-05-07T18:00:00.000Z',
    });
  });

  it('a window whose openings always overlap is open with no closing in sight', () => {
    const sut = window({ start: '0 * * * *', duration: '90m', timezone: 'UTC' });

    const state = windowAt(sut, at('2026-05-07T10:15:00Z'));

    expect(state.open).toBe(true);
    expect(state.closesAt).toBeNull();
  });

  it('a window longer than a day, looked at late in its run, is still open', () => {
    const sut = window({ start: { days: ['fri'], time: '18:00' }, duration: '2d', timezone: 'America/New_York' });

    expect(show(windowAt(sut, at('2026-05-10T20:00:00Z')))).toEqual({
      open: true,
      opensAt: '2026-05-08T22:00:00.000Z',
      closesAt: '2026-05-10T22:00:00.000Z',
    });
  });
});

describe('nextOpening', () => {
  it('is the next start strictly after t, even while a window is open', () => {
    const sut = window({ start: { days: ['sun'], time: '03:00' }, duration: '1h', timezone: 'Europe/Berlin' });

    expect(show(nextOpening(sut, at('2026-03-29T01:30:00Z')))).toEqual({
      open: false,
      opensAt: '2026-04-05T01:00:00.000Z',
      closesAt: '2026-04-05T02:00:00.000Z',
    });
  });
});
