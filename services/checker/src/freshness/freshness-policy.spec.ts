import type { TufExpiry } from '@lockstep/releases';
import { refreshDue, rolesToWarn, unrefreshedRole, type FreshnessPolicy } from './freshness-policy';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const now = new Date('2026-12-07T00:00:00Z');
const policy: FreshnessPolicy = { refreshIntervalMs: 6 * HOUR, offlineWarningMs: 7 * DAY };

/** Expiry with each role's time left given in ms (defaults: a freshly published repository). */
const expiry = (left: Partial<Record<keyof TufExpiry, number>>): TufExpiry => {
  const at = (ms: number) => ({ version: 1, expires: new Date(now.getTime() + ms) });
  return {
    root: at(left.root ?? 365 * DAY),
    targets: at(left.targets ?? 365 * DAY),
    snapshot: at(left.snapshot ?? 7 * DAY),
    timestamp: at(left.timestamp ?? DAY),
  };
};

describe('freshness policy', () => {
  it.each([
    ['a timestamp signed just now', {}, false],
    ['a timestamp signed 5 h ago', { timestamp: 19 * HOUR }, false],
    ['a timestamp signed 6 h ago', { timestamp: 18 * HOUR }, true],
    ['an expired timestamp', { timestamp: -HOUR }, true],
    ['a snapshot with half its validity left', { snapshot: 3.5 * DAY }, true],
    ['a snapshot with 4 days left', { snapshot: 4 * DAY }, false],
    [
      'a year-long timestamp (published while no refresher served it)',
      { timestamp: 365 * DAY, snapshot: 365 * DAY },
      true,
    ],
  ])('refreshDue: %s → %s', (_what, left, due) => {
    const sut = refreshDue(expiry(left), now, policy);

    expect(sut).toBe(due);
  });

  it.each([
    ['nothing on a fresh repository', {}, []],
    ['targets 7 days before expiry', { targets: 7 * DAY - 1 }, ['targets']],
    ['root 8 days before expiry', { root: 8 * DAY }, []],
    ['a timestamp 10 h from expiry (refreshes have been failing)', { timestamp: 10 * HOUR }, []],
    ['a timestamp 8 h from expiry', { timestamp: 8 * HOUR }, ['timestamp']],
    ['a snapshot 1 day from expiry', { snapshot: DAY }, ['snapshot']],
    [
      'everything expired',
      { root: -1, targets: -1, snapshot: -1, timestamp: -1 },
      ['root', 'targets', 'snapshot', 'timestamp'],
    ],
  ])('rolesToWarn: %s', (_what, left, roles) => {
    const sut = rolesToWarn(expiry(left), now, policy);

    expect(sut).toEqual(roles);
  });

  it.each([
    ['a timestamp of a day and a snapshot of a week (signed for a refresher)', {}, 'timestamp'],
    ['a snapshot that expires before the timestamp', { snapshot: 2 * DAY, timestamp: 30 * DAY }, 'snapshot'],
    [
      'online roles as long as targets (signed with no refresher)',
      { snapshot: 365 * DAY, timestamp: 365 * DAY },
      undefined,
    ],
    ['targets about to expire with the online roles', { targets: DAY, snapshot: DAY, timestamp: DAY }, undefined],
  ])('unrefreshedRole: %s → %s', (_what, left, role) => {
    const sut = unrefreshedRole(expiry(left), policy);

    expect(sut).toBe(role);
  });
});
