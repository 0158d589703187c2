import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decide,
  type DecisionInput,
  effectivePolicy,
  formatInZone,
  parsePolicyFile,
  releaseClass,
  type UpdatePolicyV1,
} from '@lockstep/contracts';

const example = parsePolicyFile(readFileSync(join(__dirname, '../../../deploy/lockstep-policy.example.yaml'), 'utf8'));
// security/hotfix immediate, patch/minor next-window, major approval, prerelease never; 3d age, bypass security+hotfix
const policy: UpdatePolicyV1 = effectivePolicy(example, 'worker');
const now = new Date('2026-03-28T12:00:00Z');
const old = new Date('2026-03-20T00:00:00Z');
const young = new Date('2026-03-27T00:00:00Z');
const opensAt = new Date('2026-03-29T01:00:00Z'); // 03:00 in Berlin, the night DST starts

function input(
  over: Omit<Partial<DecisionInput>, 'release'> & { release?: Partial<DecisionInput['release']> } = {},
): DecisionInput {
  const { release, ...rest } = over;
  return {
    release: { version: '1.2.4', kind: 'patch', security: false, hotfix: false, publishedAt: old, ...release },
    runningVersion: '1.2.3',
    policy,
    now,
    holds: [],
    window: { open: false, opensAt, zone: 'Europe/Berlin' },
    ...rest,
  };
}

describe(decide.name, () => {
  it.each<[string, DecisionInput, string, string, Date | undefined]>([
    [
      'the running version',
      input({ runningVersion: '1.2.4' }),
      'skipped',
      'skipped: 1.2.4 is the version running',
      undefined,
    ],
    [
      'a hold on every version',
      input({ holds: [{ reason: 'freeze for audit' }] }),
      'held',
      'held: freeze for audit',
      undefined,
    ],
    [
      'a hold on this version',
      input({ holds: [{ version: '1.2.4', reason: 'rolled back' }] }),
      'held',
      'held: rolled back',
      undefined,
    ],
    [
      'a hold before never',
      input({ release: { kind: 'prerelease' }, holds: [{ reason: 'x' }] }),
      'held',
      'held: x',
      undefined,
    ],
    [
      'a hold before security immediate',
      input({ release: { security: true }, holds: [{ reason: 'x' }] }),
      'held',
      'held: x',
      undefined,
    ],
    [
      'action never',
      input({ release: { kind: 'prerelease' } }),
      'skipped',
      'skipped: the policy never installs prerelease releases',
      undefined,
    ],
    ['a rejected release', input({ approval: 'rejected' }), 'rejected', 'rejected by an operator', undefined],
    [
      'a young patch',
      input({ release: { publishedAt: young } }),
      'too-young',
      'too young until 2026-03-30 02:00 Europe/Berlin (minimum release age 3d)',
      new Date('2026-03-30T00:00:00Z'),
    ],
    [
      'a young patch, no window to take the zone from',
      input({ release: { publishedAt: young }, window: undefined }),
      'too-young',
      'too young until 2026-03-30 00:00 UTC (minimum release age 3d)',
      new Date('2026-03-30T00:00:00Z'),
    ],
    [
      'a young major (age before approval)',
      input({ release: { kind: 'major', publishedAt: young } }),
      'too-young',
      'too young until 2026-03-30 02:00 Europe/Berlin (minimum release age 3d)',
      new Date('2026-03-30T00:00:00Z'),
    ],
    [
      'a young security release (bypass)',
      input({ release: { security: true, publishedAt: young } }),
      'install-now',
      'installing now: security releases install immediately',
      undefined,
    ],
    [
      'a young hotfix (bypass)',
      input({ release: { hotfix: true, publishedAt: young } }),
      'install-now',
      'installing now: hotfix releases install immediately',
      undefined,
    ],
    [
      'a major, not approved yet',
      input({ release: { kind: 'major' } }),
      'wait-approval',
      'waits for approval (major releases need one)',
      undefined,
    ],
    [
      'a major, approval pending',
      input({ release: { kind: 'major' }, approval: 'pending' }),
      'wait-approval',
      'waits for approval (major releases need one)',
      undefined,
    ],
    // issue 13: "a major waits for approval and goes out in the next window after lockstep approve"
    [
      'a major, approved, window closed',
      input({ release: { kind: 'major' }, approval: 'approved' }),
      'wait-window',
      'approved; waits for the window opening 2026-03-29 03:00 Europe/Berlin',
      opensAt,
    ],
    [
      'a major, approved, window open',
      input({ release: { kind: 'major' }, approval: 'approved', window: { open: true, zone: 'UTC' } }),
      'install-now',
      'installing now: approved, and the maintenance window is open',
      undefined,
    ],
    [
      'a patch, window closed',
      input(),
      'wait-window',
      'waits for the window opening 2026-03-29 03:00 Europe/Berlin',
      opensAt,
    ],
    [
      'a patch, window open',
      input({ window: { open: true, zone: 'UTC' } }),
      'install-now',
      'installing now: the maintenance window is open',
      undefined,
    ],
    [
      'a patch, no window scheduled',
      input({ window: { open: false, opensAt: null, zone: 'UTC' } }),
      'wait-window',
      'waits for a maintenance window; none is scheduled to open',
      undefined,
    ],
    [
      'a patch, no window in the policy',
      input({ window: undefined }),
      'wait-window',
      'waits for a maintenance window, but the policy names none: add one to its windows',
      undefined,
    ],
    [
      'a security release',
      input({ release: { security: true, kind: 'major' } }),
      'install-now',
      'installing now: security releases install immediately',
      undefined,
    ],
  ])('%s', (_name, given, decision, reason, until) => {
    const result = decide(given);

    expect(result).toEqual(until ? { decision, reason, until } : { decision, reason });
  });

  it('counts the minimum age from publication: exactly old enough installs', () => {
    const result = decide(
      input({
        release: { publishedAt: new Date(now.getTime() - 3 * 86_400_000) },
        window: { open: true, zone: 'UTC' },
      }),
    );

    expect(result.decision).toBe('install-now');
  });

  it('waits for nothing with a minimum age of 0s', () => {
    const result = decide(
      input({
        policy: { ...policy, minimumReleaseAge: '0s' },
        release: { publishedAt: now },
        window: { open: true, zone: 'UTC' },
      }),
    );

    expect(result.decision).toBe('install-now');
  });

  it('ignores a hold on another version', () => {
    const result = decide(input({ holds: [{ version: '9.9.9', reason: 'x' }], window: { open: true, zone: 'UTC' } }));

    expect(result.decision).toBe('install-now');
  });
});

describe(releaseClass.name, () => {
  it.each([
    [{ kind: 'major', security: true, hotfix: true }, 'security'],
    [{ kind: 'major', security: false, hotfix: true }, 'hotfix'],
    [{ kind: 'minor', security: false, hotfix: false }, 'minor'],
  ] as const)('%j is %s', (release, cls) => {
    expect(releaseClass(release)).toBe(cls);
  });
});

describe(formatInZone.name, () => {
  it('writes the wall clock of the zone, DST included', () => {
    expect(formatInZone(new Date('2026-07-01T01:00:00Z'), 'Europe/Berlin')).toBe('2026-07-01 03:00 Europe/Berlin');
    expect(formatInZone(new Date('2026-01-01T00:05:00Z'), 'UTC')).toBe('2026-01-01 00:05 UTC');
  });
});
