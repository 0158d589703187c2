import { QueryErrorCode } from './queries';

/**
 * Codes of the REST API's error bodies `{ error: { code, message } }` that the API sets itself
 * (wire names: the CLI and the dashboard match them). Refusals of a service's query keep that
 * service's code.
 */
export const ApiErrorCode = {
  InvalidRequest: QueryErrorCode.InvalidRequest,
  InvalidJson: 'INVALID_JSON',
  NotFound: QueryErrorCode.NotFound,
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  ServiceTimeout: 'SERVICE_TIMEOUT',
  ServiceFailed: 'SERVICE_FAILED',
  Internal: 'INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** Codes of the scheduler's rollout query errors that say the current state forbids the request (the API answers 409). */
export const RolloutStateErrorCode = {
  /** Another rollout is active; one runs per cluster. */
  Active: 'ROLLOUT_ACTIVE',
  /** The rollout is not in a state that allows the action. */
  InvalidState: 'INVALID_STATE',
  /** A lock release named a holder (fencing token) that no longer holds the lock; nothing was removed. */
  LockHolderChanged: 'LOCK_HOLDER_CHANGED',
} as const;
export type RolloutStateErrorCode = (typeof RolloutStateErrorCode)[keyof typeof RolloutStateErrorCode];
