import { CommandRefusal, type InstallCommandV1 } from '@lockstep/contracts';
import type { LiveHolder } from '@lockstep/fleet-lock';
import { installCommand } from '@lockstep/testing';
import { CommandAdmission, type Admission } from './command-admission';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const MAX_AGE_MS = 5 * 60_000;
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

describe(CommandAdmission.name, () => {
  const judge = (
    over: Partial<InstallCommandV1>,
    live: LiveHolder | undefined | Error,
    fence = 0,
  ): Promise<Admission> => {
    const sut = new CommandAdmission({ lockKey: 'cluster', maxAgeMs: MAX_AGE_MS, now: () => NOW }, async () => {
      if (live instanceof Error) throw live;
      return live;
    });
    return sut.judge(installCommand({ issuedAt: at(-1000), rolloutId: 'r1', fencingToken: 7, ...over }), fence);
  };

  it.each<[string, Partial<InstallCommandV1>, LiveHolder | undefined, number, number]>([
    ["the live holder's token", {}, { token: 7, rolloutId: 'r1' }, 3, 7],
    [
      "the live holder's token, for another rollout than it took the lock for",
      { rolloutId: 'r0' },
      { token: 7, rolloutId: 'r1' },
      7,
      7,
    ],
    [
      "an older token of the holder's own rollout (a taken-over rollout)",
      { fencingToken: 4 },
      { token: 7, rolloutId: 'r1' },
      7,
      7,
    ],
    [
      'a command issued just inside the maximum age',
      { issuedAt: at(-MAX_AGE_MS) },
      { token: 7, rolloutId: 'r1' },
      0,
      7,
    ],
  ])('admits %s, fencing at the live token', async (_what, over, live, fence, raisedTo) => {
    expect(await judge(over, live, fence)).toEqual({ kind: 'admit', fence: raisedTo });
  });

  it.each<[string, Partial<InstallCommandV1>, LiveHolder | undefined, number, CommandRefusal]>([
    [
      'a token above the live one',
      { fencingToken: Number.MAX_SAFE_INTEGER },
      { token: 7, rolloutId: 'r1' },
      0,
      CommandRefusal.NotLiveHolder,
    ],
    [
      "another rollout's older token",
      { rolloutId: 'r0', fencingToken: 4 },
      { token: 7, rolloutId: 'r1' },
      0,
      CommandRefusal.NotLiveHolder,
    ],
    ['no live holder', {}, undefined, 0, CommandRefusal.NoLiveHolder],
    // the rollout gave up on this node (its progress deadline passed): never start it late
    ['a command past its deadline', { deadline: at(-1) }, { token: 7, rolloutId: 'r1' }, 0, CommandRefusal.Expired],
    [
      "a lock key other than the agent's",
      { lockKey: 'other' },
      { token: 7, rolloutId: 'r1' },
      0,
      CommandRefusal.UnknownLockKey,
    ],
    [
      'an issuedAt past the maximum age',
      { issuedAt: at(-MAX_AGE_MS - 1) },
      { token: 7, rolloutId: 'r1' },
      0,
      CommandRefusal.Expired,
    ],
    [
      'an issuedAt beyond the maximum age ahead',
      { issuedAt: at(MAX_AGE_MS + 1) },
      { token: 7, rolloutId: 'r1' },
      0,
      CommandRefusal.Expired,
    ],
    ['an unreadable issuedAt', { issuedAt: 'yesterday' }, { token: 7, rolloutId: 'r1' }, 0, CommandRefusal.BadCommand],
    [
      'a live token below the fence (recreated bucket)',
      {},
      { token: 7, rolloutId: 'r1' },
      9,
      CommandRefusal.StaleFencingToken,
    ],
  ])('refuses %s', async (_what, over, live, fence, refusal) => {
    expect(await judge(over, live, fence)).toEqual({ kind: 'refuse', refusal, reason: expect.any(String) });
  });

  it('waits, never guessing, when the lock cannot be read', async () => {
    const result = await judge({}, new Error('timeout'));

    expect(result).toEqual({
      kind: 'wait',
      reason: expect.stringMatching(/lock cluster could not be read \(timeout\)/),
    });
  });

  it('does not read the lock for a command it refuses on its face', async () => {
    const read = jest.fn();
    const sut = new CommandAdmission({ lockKey: 'cluster', maxAgeMs: MAX_AGE_MS, now: () => NOW }, read);

    await sut.judge(installCommand({ lockKey: 'other', issuedAt: at(0) }), 0);

    expect(read).not.toHaveBeenCalled();
  });
});
