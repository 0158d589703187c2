import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AuditActor } from '@lockstep/contracts';

/**
 * The authenticated identity of an API request. The auth guard (the only writer) sets it
 * once the request's token is accepted; controllers read it with {@link Actor} and hand it to
 * the service that makes the change, which writes it into the audit record.
 */
const ACTOR = Symbol('lockstep.actor');
type WithActor = Request & { [ACTOR]?: AuditActor };

/** Records the request's identity (the auth guard calls this). */
export function setRequestActor(req: Request, actor: AuditActor): void {
  (req as WithActor)[ACTOR] = actor;
}

/** The request's identity; throws when the auth guard did not run (a route outside the guard is a bug). */
export function requestActor(req: Request): AuditActor {
  const actor = (req as WithActor)[ACTOR];
  if (!actor)
    throw new Error(`no authenticated actor on ${req.method} ${req.url}: the route is outside the auth guard`);
  return actor;
}

/** Controller parameter: the request's {@link AuditActor}. */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditActor =>
  requestActor(ctx.switchToHttp().getRequest<Request>()),
);

/** A request the API refused (no token, a bad token, too small a role or scope), for the audit trail. */
export interface RefusedRequest {
  /** The token's identity when the token was valid but too weak; null when there was no valid token. */
  actor: AuditActor | null;
  /** `METHOD /route/pattern`, e.g. `POST /v1/rollouts`. */
  action: string;
  /** The path as requested. */
  target: string;
  source: string | null;
  status: 401 | 403;
  /** The refusal's error code. */
  reason: string;
}

/** Where the auth guard reports refused requests (the audit service implements it). */
export interface RefusalAudit {
  recordRefused(refusal: RefusedRequest): Promise<void>;
}
export const REFUSAL_AUDIT = Symbol('REFUSAL_AUDIT');
