import {
  ApiErrorCode,
  CodedError,
  RolloutStateErrorCode,
  type ApiErrorBody,
  type QueryError,
} from '@lockstep/contracts';
import { FleetLockErrorCodes } from '@lockstep/fleet-lock';

/**
 * Query error codes meaning "not now, given the current state" rather than "bad request":
 * another rollout is active, the rollout is not in a state that allows the action, the lock
 * entry changed since it was read.
 */
const STATE_CONFLICT_CODES = new Set<string>([
  RolloutStateErrorCode.Active,
  RolloutStateErrorCode.InvalidState,
  RolloutStateErrorCode.LockHolderChanged,
  FleetLockErrorCodes.Changed,
]);

/**
 * An expected failure of a request, answered as `{ error: { code, message } }` with `status`.
 * The message says what to fix; it is shown to operators as is (CLI, dashboard).
 */
export class ApiError extends CodedError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    /** An {@link ApiErrorCode}, or the code of the service's query error as the service sent it. */
    code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  static badRequest(message: string, code: string = ApiErrorCode.InvalidRequest): ApiError {
    return new ApiError(400, code, message);
  }

  static notFound(message: string): ApiError {
    return new ApiError(404, ApiErrorCode.NotFound, message);
  }

  /** NATS (or another outside system the API reads directly) failed; the message names what was attempted. */
  static unavailable(message: string, cause?: unknown): ApiError {
    return new ApiError(502, ApiErrorCode.ServiceUnavailable, message, { cause });
  }

  /**
   * Maps a service's query error: NOT_FOUND is 404, *_CONFLICT and the codes that say the
   * target's current state forbids the request 409, anything else the service refused is a
   * problem with the request (400); the service's message is kept.
   */
  static fromQueryError(error: QueryError): ApiError {
    if (error.code === ApiErrorCode.NotFound) return new ApiError(404, error.code, error.message);
    if (/CONFLICT$/.test(error.code) || STATE_CONFLICT_CODES.has(error.code))
      return new ApiError(409, error.code, error.message);
    return new ApiError(400, error.code, error.message);
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
