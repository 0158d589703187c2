import { parseDuration } from './duration';
import type { ChangeKind } from './payloads';
import type { UpdateClass, UpdatePolicyV1 } from './policies';

/** What the policy decided for one release. */
export const PolicyDecisions = [
  'install-now',
  'wait-window',
  'wait-approval',
  /** A release another component's version must come first for (or whose requirements form a cycle). */
  'wait-dependency',
  'too-young',
  'held',
  'skipped',
  'rejected',
] as const;
export type PolicyDecision = (typeof PolicyDecisions)[number];

/** A hold on a component: one version, or every version when `version` is absent. */
export interface PolicyHold {
  version?: string;
  reason: string;
}

/** Everything `decide` looks at; the caller resolves windows, holds and approvals. */
export interface DecisionInput {
  release: {
    version: string;
    /** patch / minor / major / prerelease, relative to the running version. */
    kind: ChangeKind;
    security: boolean;
    hotfix: boolean;
    publishedAt: Date;
  };
  /** Version the component runs now (null when unknown). */
  runningVersion: string | null;
  /** The component's effective policy. */
  policy: UpdatePolicyV1;
  now: Date;
  holds: readonly PolicyHold[];
  /** Approval of this release, when one was asked for. */
  approval?: 'approved' | 'rejected' | 'pending';
  /**
   * The policy's windows at `now`, merged by the caller (a @lockstep/scheduling WindowState
   * plus the zone to print in); absent when the policy names none.
   */
  window?: { open: boolean; opensAt?: Date | null; zone: string };
}

export interface DecisionResult {
  decision: PolicyDecision;
  /** When the decision changes on its own (end of the age wait, window opening). */
  until?: Date;
  /** The sentence `lockstep updates` prints. */
  reason: string;
}

/** The class a policy decides by: security before hotfix before the change kind. */
export function releaseClass(release: Pick<DecisionInput['release'], 'kind' | 'security' | 'hotfix'>): UpdateClass {
  if (release.security) return 'security';
  if (release.hotfix) return 'hotfix';
  return release.kind;
}

/** `2026-03-29 03:00 Europe/Berlin`: the instant as a wall clock in `zone` (the window's zone, else UTC). */
export function formatInZone(at: Date, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${zone}`;
}

/**
 * Decides what happens to one release. Rules, first match wins:
 *
 * | # | rule                                              | decision      |
 * |---|---------------------------------------------------|---------------|
 * | 1 | the release is what runs                          | skipped       |
 * | 2 | a hold covers the component or this version       | held          |
 * | 3 | the class's action is `never`                     | skipped       |
 * | 4 | someone rejected this release                     | rejected      |
 * | 5 | younger than minimumReleaseAge, class not bypassed | too-young     |
 * | 6 | action `approval`, not approved yet               | wait-approval |
 * | 7 | `next-window`, or `approval` approved: no window or it is closed | wait-window |
 * | 8 | the same, window open; or `immediate`             | install-now   |
 *
 * An approved release goes out in the next window, as a `next-window` one does (issue 13).
 */
export function decide(input: DecisionInput): DecisionResult {
  const { release, policy, now } = input;
  const cls = releaseClass(release);
  const action = policy.classes[cls];
  if (input.runningVersion === release.version) {
    return { decision: 'skipped', reason: `skipped: ${release.version} is the version running` };
  }
  const hold = input.holds.find((h) => h.version === undefined || h.version === release.version);
  if (hold) return { decision: 'held', reason: `held: ${hold.reason}` };
  if (action === 'never') {
    return { decision: 'skipped', reason: `skipped: the policy never installs ${cls} releases` };
  }
  if (input.approval === 'rejected') return { decision: 'rejected', reason: 'rejected by an operator' };
  const minAgeMs = parseDuration(policy.minimumReleaseAge) ?? 0;
  const oldEnoughAt = new Date(release.publishedAt.getTime() + minAgeMs);
  if (now < oldEnoughAt && !policy.bypassMinimumAgeFor.includes(cls)) {
    return {
      decision: 'too-young',
      until: oldEnoughAt,
      reason: `too young until ${formatInZone(oldEnoughAt, input.window?.zone ?? 'UTC')} (minimum release age ${policy.minimumReleaseAge})`,
    };
  }
  if (action === 'approval') {
    if (input.approval !== 'approved')
      return { decision: 'wait-approval', reason: `waits for approval (${cls} releases need one)` };
    return windowDecision(input.window, 'approved');
  }
  if (action === 'next-window') return windowDecision(input.window);
  return { decision: 'install-now', reason: `installing now: ${cls} releases install immediately` };
}

/** The window rules; `approved` says so first in the reason (an approved release waits for its window too). */
function windowDecision(window: DecisionInput['window'], approved?: 'approved'): DecisionResult {
  const prefix = approved ? 'approved; ' : '';
  if (!window) {
    return {
      decision: 'wait-window',
      reason: `${prefix}waits for a maintenance window, but the policy names none: add one to its windows`,
    };
  }
  if (window.open)
    return {
      decision: 'install-now',
      reason: `installing now: ${approved ? 'approved, and ' : ''}the maintenance window is open`,
    };
  if (!window.opensAt) {
    return { decision: 'wait-window', reason: `${prefix}waits for a maintenance window; none is scheduled to open` };
  }
  return {
    decision: 'wait-window',
    until: window.opensAt,
    reason: `${prefix}waits for the window opening ${formatInZone(window.opensAt, window.zone)}`,
  };
}
