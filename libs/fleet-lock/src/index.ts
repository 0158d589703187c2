export { type AcquireOptions, lockBucketName, FleetLock } from './fleet-lock';
export { LeaseLostCodes, type LeaseLost, ReleaseOutcomes, type LeaseLostListener, FleetLease } from './fleet-lease';
export { type LockView } from './lock-entry';
export {
  FleetLockErrorCodes,
  type FleetLockErrorCode,
  FleetLockUnavailableError,
  LockChangedError,
} from './lock-errors';
export { MIN_LEASE_SETTING, MAX_LEASE_SETTING } from './lease-timing';
export { KvLockStore } from './lock-store';
export { MemoryLockStore } from './memory-lock-store';
export * from './live-lock-reader';
