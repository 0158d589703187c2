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

/** A lock's live holder as operators see it. */
export interface LockHolder {
  holder: string;
  rolloutId: string | null;
  /** Fencing token: stable while the lease lives. */
  token: number;
}

/** The lock as operators manage it. */
export interface ClusterLockAdmin extends ClusterLock {
  /** The live holder of `key`, or null when it is free. */
  holder(key: string): Promise<LockHolder | null>;
  /**
   * Removes the entry only while it is still the lease with fencing token `token` (compare and
   * delete on the entry's revision); throws LockHolderChangedError otherwise, removing nothing.
   */
  releaseHolder(key: string, token: number): Promise<LockHolder>;
}

/** The lock is free or held under another fencing token than the release named. */
export class LockHolderChangedError extends Error {
  override name = 'LockHolderChangedError';
  constructor(
    message: string,
    /** The live holder now; null when the lock is free. */
    readonly current: LockHolder | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const CLUSTER_LOCK = Symbol('CLUSTER_LOCK');

/** The lock was lost while conducting: stop at once. */
export class LockLostError extends Error {
  override name = 'LockLostError';
}
