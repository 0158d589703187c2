import {
  ApiErrorCode,
  CodedError,
  DeadLetterErrorCode,
  NodeRemoveErrorCode,
  RolloutStateErrorCode,
  SettingErrorCode,
  problemType,
  type SettingError,
  type ApiErrorBody,
  type QueryError,
} from '@lockstep/contracts';
import { STATUS_CODES } from 'node:http';
import { FleetLockErrorCodes } from '@lockstep/fleet-lock';

/**
 * Query error codes meaning "not now, given the current state" rather than "bad request":
 * another rollout is active, the rollout is not in a state that allows the action, the lock
 * entry changed since it was read, the node to remove is alive or in an active rollout, none of
 * the dead letters found could be re-driven.
 */
const STATE_CONFLICT_CODES = new Set<string>([
  RolloutStateErrorCode.Active,
  RolloutStateErrorCode.InvalidState,
  RolloutStateErrorCode.LockHolderChanged,
  FleetLockErrorCodes.Changed,
  NodeRemoveErrorCode.Alive,
  NodeRemoveErrorCode.InRollout,
  DeadLetterErrorCode.NothingRedriven,
]);

/**
 * An expected failure of a request, answered with `status` as an RFC 9457 problem (see {@link problemBody}).
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

  /** A refused setting: an unknown key is 404, a value the setting does not allow 400; the message names what is allowed. */
  static fromSettingError(error: SettingError): ApiError {
    return new ApiError(error.code === SettingErrorCode.Unknown ? 404 : 400, error.code, error.message);
  }

  toBody(): ApiErrorBody {
    return problemBody(this.status, this.code, this.message);
  }
}

/**
 * An `application/problem+json` body (RFC 9457): `type` derived from the code, `title` the
 * status's reason phrase, `detail` the message that says what to do, and the project's `code`.
 */
export function problemBody(status: number, code: string, detail: string): ApiErrorBody {
  return { type: problemType(code), title: STATUS_CODES[status] ?? `HTTP ${status}`, status, detail, code };
}
