/** A held cluster lock: its fencing token and whether it is still ours. */
export interface HeldLock {
  readonly key: string;
  /** Revision of the lock entry: the fencing token every command carries. */
  readonly token: number;
  /** False from the moment a renewal failed or the lease ran out. */
  isHeld(): boolean;
  release(): Promise<void>;
}

/** The cluster-wide lock a conductor must hold to issue commands. */
export interface ClusterLock {
  tryAcquire(rolloutId: string): Promise<HeldLock | undefined>;
}

/** The lock as operators manage it. */
export interface ClusterLockAdmin extends ClusterLock {
  /** Removes the entry whoever holds it; returns what was removed (for the audit log) or null. */
  forceRelease(key: string, by: string, reason: string): Promise<Record<string, unknown> | null>;
}

export const CLUSTER_LOCK = Symbol('CLUSTER_LOCK');

/** The lock was lost while conducting: stop at once. */
export class LockLostError extends Error {
  override name = 'LockLostError';
}
