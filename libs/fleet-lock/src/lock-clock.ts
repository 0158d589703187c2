/** One reading of both clocks the lease logic compares against. */
export interface LockInstant {
  /** Wall clock, ms since the epoch (Date.now): also advances across a system suspend. */
  wall: number;
  /** Monotonic clock, ms (performance.now): never jumps with NTP steps. */
  mono: number;
}

/**
 * Where a lease reads time. A lease counts as expired when EITHER clock says the lease
 * ran out, so a wall-clock step backwards (NTP) cannot extend it and a suspend the
 * monotonic clock does not see (VM pause, laptop sleep) still ends it.
 */
export interface LockClock {
  now(): LockInstant;
}

/** The process clocks. */
export const systemLockClock: LockClock = {
  now: () => ({ wall: Date.now(), mono: performance.now() }),
};

/** Milliseconds elapsed since `since` by the more pessimistic of the two clocks. */
export function elapsedMs(since: LockInstant, now: LockInstant): number {
  return Math.max(now.wall - since.wall, now.mono - since.mono);
}
