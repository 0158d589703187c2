import type { ReleaseMetadataRole } from '@lockstep/contracts';
import { DEFAULT_EXPIRY_MS, OnlineRoles, TufRoles, type OnlineRole, type TufExpiry } from '@lockstep/releases';

/** The timing the checker keeps TUF metadata fresh by. */
export interface FreshnessPolicy {
  /** How often the timestamp is re-signed (CHECKER_TUF_REFRESH_INTERVAL). */
  refreshIntervalMs: number;
  /** Warn this long before root or targets expire (CHECKER_TUF_EXPIRY_WARNING). */
  offlineWarningMs: number;
}

/** True for the roles the control plane re-signs itself (snapshot, timestamp). */
export const isOnlineRole = (role: ReleaseMetadataRole): role is OnlineRole =>
  (OnlineRoles as readonly string[]).includes(role);

/**
 * When the refresher re-signs an online role: the timestamp once it was signed at least one
 * interval ago (so replicas that come by in turn re-sign it once per interval), the snapshot
 * once half its validity is gone (TufRepositoryWriter.refreshOnline's own rule).
 */
const renewBelowMs = (role: OnlineRole, policy: FreshnessPolicy): number =>
  role === 'timestamp' ? DEFAULT_EXPIRY_MS.timestamp - policy.refreshIntervalMs : DEFAULT_EXPIRY_MS.snapshot / 2;

/**
 * True when the online roles of a repository are due to be re-signed; also when the timestamp
 * outlasts the default validity (signed long while no refresher served the repository), so a
 * checker that now holds the keys brings back the short freeze window at once.
 */
export function refreshDue(expiry: TufExpiry, now: Date, policy: FreshnessPolicy): boolean {
  const left = (role: OnlineRole) => expiry[role].expires.getTime() - now.getTime();
  return (
    OnlineRoles.some((role) => left(role) <= renewBelowMs(role, policy)) ||
    left('timestamp') > DEFAULT_EXPIRY_MS.timestamp
  );
}

/**
 * Roles that expire soon enough to warn about: root and targets within the offline warning;
 * an online role once it slipped half-way from where the refresher would have renewed it to
 * its expiry (refreshes failed, or no online keys are configured), so the warning comes well
 * before anything expires.
 */
export function rolesToWarn(expiry: TufExpiry, now: Date, policy: FreshnessPolicy): ReleaseMetadataRole[] {
  return TufRoles.filter((role) => {
    const window = isOnlineRole(role) ? renewBelowMs(role, policy) / 2 : policy.offlineWarningMs;
    return expiry[role].expires.getTime() - now.getTime() < window;
  });
}

/**
 * The online role that expires first, when it expires before targets does: only a refresher
 * keeps it valid, so with no online key to re-sign it the checker warns about it at once
 * rather than hours before it expires (a publish that sees no refresher's mark signs the
 * online roles as long as targets instead, and then there is nothing to warn about).
 */
export function unrefreshedRole(expiry: TufExpiry, policy: FreshnessPolicy): OnlineRole | undefined {
  const [first] = [...OnlineRoles].sort((a, b) => expiry[a].expires.getTime() - expiry[b].expires.getTime());
  return expiry[first].expires.getTime() < expiry.targets.expires.getTime() - policy.refreshIntervalMs
    ? first
    : undefined;
}
