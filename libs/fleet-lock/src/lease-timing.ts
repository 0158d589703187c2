import { FleetLockConfigError } from './lock-errors';

/** Optional overrides of the timings derived from the lease. */
export interface LeaseTimingOptions {
  /** Renew this often (default lease/3). */
  renewIntervalMs?: number;
  /** After an unconfirmed renewal, try again this soon (default renew/4, 50..1000 ms). */
  retryIntervalMs?: number;
  /**
   * The holder stops trusting its lease this long before the server could expire it
   * (default lease/10, at least 100 ms): covers clock rate differences between the holder
   * and the servers and timer lateness.
   */
  safetyMarginMs?: number;
  /** Timeout of one KV request (default lease/5, 200..5000 ms). */
  requestTimeoutMs?: number;
}

/** Every timing of a lease, resolved and checked. */
export interface LeaseTiming extends Required<LeaseTimingOptions> {
  /** Bucket TTL: the server drops an entry this long after its last write. */
  leaseMs: number;
  /** How long after sending a confirmed write the holder regards itself as holder: lease − margin. */
  validForMs: number;
}

/**
 * Shortest lease a setting may ask for (SCHEDULER_LOCK_LEASE, BACKUP_LOCK_LEASE): the timings
 * derived from it fit (a lease under about 450 ms cannot renew in time), with room for a slow
 * KV request. Configs check it at start so a short lease is refused there, not when the lock opens.
 */
export const MIN_LEASE_SETTING = '1s';
/** Longest lease a setting may ask for: a paused holder blocks every other for this long. */
export const MAX_LEASE_SETTING = '10m';

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Derives and validates lease timings; throws FleetLockConfigError when they cannot work together. */
export function resolveLeaseTiming(leaseMs: number, o: LeaseTimingOptions = {}): LeaseTiming {
  if (!Number.isInteger(leaseMs) || leaseMs < 300)
    throw new FleetLockConfigError(`lock lease must be a whole number of milliseconds, at least 300 (got ${leaseMs})`);
  const renewIntervalMs = o.renewIntervalMs ?? Math.floor(leaseMs / 3);
  const safetyMarginMs = o.safetyMarginMs ?? Math.max(100, Math.floor(leaseMs / 10));
  const requestTimeoutMs = o.requestTimeoutMs ?? clamp(Math.floor(leaseMs / 5), 200, 5000);
  const retryIntervalMs = o.retryIntervalMs ?? clamp(Math.floor(renewIntervalMs / 4), 50, 1000);
  const validForMs = leaseMs - safetyMarginMs;
  for (const [name, v] of Object.entries({ renewIntervalMs, safetyMarginMs, requestTimeoutMs, retryIntervalMs })) {
    if (!(v > 0)) throw new FleetLockConfigError(`lock ${name} must be positive (got ${v})`);
  }
  if (renewIntervalMs + requestTimeoutMs >= validForMs) {
    throw new FleetLockConfigError(
      `lock timings do not fit: a renewal every ${renewIntervalMs}ms plus a request timeout of ${requestTimeoutMs}ms must be shorter than the ${validForMs}ms the lease is trusted (lease ${leaseMs}ms minus margin ${safetyMarginMs}ms); renew more often or lengthen the lease`,
    );
  }
  return { leaseMs, validForMs, renewIntervalMs, retryIntervalMs, safetyMarginMs, requestTimeoutMs };
}
