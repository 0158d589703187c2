import { PolicyFileErrorCodes } from './policy-file';
import { QueryErrorCode } from './queries';

/**
 * Codes of the REST API's problem answers (`code` of application/problem+json) that the API sets itself
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
  /** 401: no `Authorization: Bearer <token>` header, or one that is not a Lockstep token. */
  TokenMissing: 'TOKEN_MISSING',
  /** 401: the token is not one the API issued (unknown id, or the secret does not match). */
  TokenInvalid: 'TOKEN_INVALID',
  /** 401: the token's expiry has passed. */
  TokenExpired: 'TOKEN_EXPIRED',
  /** 401: the token was revoked. */
  TokenRevoked: 'TOKEN_REVOKED',
  /** 403: the token's role is below the one the route needs. */
  RoleTooLow: 'ROLE_TOO_LOW',
  /** 403: the token is narrowed to components that do not include the route's target. */
  ComponentNotInScope: 'COMPONENT_NOT_IN_SCOPE',
  /** 403: the route declares no role (fail closed: a route missing from the access table is refused). */
  RouteNotDeclared: 'ROUTE_NOT_DECLARED',
  /** 409: revoking this token would leave no owner token that works for every component. */
  LastOwnerToken: 'LAST_OWNER_TOKEN',
  /** 400: the policy sent is not valid; the detail lists every problem (with its line for YAML). */
  PolicyInvalid: PolicyFileErrorCodes.INVALID,
  /** 409: another policy revision was applied since the one the change was based on. */
  PolicyRevisionConflict: 'POLICY_REVISION_CONFLICT',
  /** 409: the component (or that version) already has a live hold; release it first. */
  HoldExists: 'HOLD_EXISTS',
  /** 409: a schedule or maintenance window of that name already exists. */
  NameTaken: 'NAME_TAKEN',
  /** 421: the request's Host header names a host the API does not serve (DNS rebinding guard). */
  HostNotAllowed: 'HOST_NOT_ALLOWED',
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
