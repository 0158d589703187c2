import { CodedError } from '@lockstep/contracts';

/** Error codes of the fleet lock (stable; APIs and logs carry them). */
export const FleetLockErrorCodes = {
  /** NATS/JetStream did not answer or did not confirm an operation. */
  Unavailable: 'LOCK_UNAVAILABLE',
  /** The entry is not the one the caller expected (force-release with a stale expectation). */
  Changed: 'LOCK_CHANGED',
  /** The caller needed the lease but it is lost or released. */
  LeaseLost: 'LEASE_LOST',
  /** Lease timings that cannot work together. */
  Config: 'LOCK_CONFIG',
} as const;
export type FleetLockErrorCode = (typeof FleetLockErrorCodes)[keyof typeof FleetLockErrorCodes];

/** Base of every fleet-lock error. */
export class FleetLockError extends CodedError<FleetLockErrorCode> {
  override name = 'FleetLockError';
}

/** NATS/JetStream could not be reached or did not confirm a lock operation. */
export class FleetLockUnavailableError extends FleetLockError {
  override name = 'FleetLockUnavailableError';
  /** The bucket does not exist and this lock was told not to create it. */
  readonly missing: boolean;
  constructor(message: string, options?: ErrorOptions & { missing?: boolean }) {
    super(FleetLockErrorCodes.Unavailable, message, options);
    this.missing = options?.missing ?? false;
  }
}

/** The lock entry changed since the caller looked at it. */
export class LockChangedError extends FleetLockError {
  override name = 'LockChangedError';
  constructor(
    message: string,
    /** What the entry is now (null: no holder). */
    readonly current: unknown,
  ) {
    super(FleetLockErrorCodes.Changed, message);
  }
}

/** The lease is no longer held: stop issuing commands. */
export class LeaseLostError extends FleetLockError {
  override name = 'LeaseLostError';
  constructor(message: string, options?: ErrorOptions) {
    super(FleetLockErrorCodes.LeaseLost, message, options);
  }
}

/** Lease settings that cannot be honoured. */
export class FleetLockConfigError extends FleetLockError {
  override name = 'FleetLockConfigError';
  constructor(message: string) {
    super(FleetLockErrorCodes.Config, message);
  }
}
