import { Inject, Injectable, Logger, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiErrorCode, roleAllows, type AuditActor, type Role } from '@lockstep/contracts';
import { API_CONFIG, type ApiConfig } from '../api.config';
import { TokensService, type AuthenticatedToken } from '../tokens/tokens.service';
import { AccessTargetsRepository } from './access-targets.repository';
import { allowedHosts, hostAllowed } from './allowed-hosts';
import { ApiError } from './api-error';
import { REFUSAL_AUDIT, setRequestActor, type RefusalAudit } from './request-actor';
import { neededRole, ROUTE_ACCESS, routeKey, type ComponentTarget, type RouteAccess } from './route-access';

/**
 * The API's one access check (a global guard): refuses requests whose Host is not one the
 * API serves (421, before anything else), authenticates `Authorization: Bearer <token>` (401),
 * and authorises from {@link ROUTE_ACCESS}: the route's role, and for a token narrowed to
 * components, the component the request acts on (403). A route missing from the table is
 * refused. Refusals are reported to the audit trail when one is provided, and change nothing
 * else (a token's last use is recorded only for allowed requests).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger('AccessGuard');
  private readonly hosts: Set<string>;

  constructor(
    private readonly tokens: TokensService,
    private readonly targets: AccessTargetsRepository,
    @Inject(API_CONFIG) config: ApiConfig,
    @Optional() @Inject(REFUSAL_AUDIT) private readonly audit?: RefusalAudit,
  ) {
    this.hosts = allowedHosts(config);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const key = routeKey(ctx.getClass(), ctx.getHandler());
    const access = ROUTE_ACCESS[key];
    if (access?.role === 'public') return true;
    if (!hostAllowed(req.headers.host, this.hosts))
      throw new ApiError(
        421,
        ApiErrorCode.HostNotAllowed,
        `this API does not serve the host "${req.headers.host ?? ''}"; call it by a name it serves (${[...this.hosts].join(', ')}) or add the name to API_ALLOWED_HOSTS`,
      );
    if (!access)
      throw new ApiError(
        403,
        ApiErrorCode.RouteNotDeclared,
        `${key} declares no role, so nobody may call it; this is a bug in the API (every route belongs in route-access.ts)`,
      );
    let token: AuthenticatedToken;
    try {
      token = await this.tokens.authenticate(req.headers.authorization, req.ip ?? null);
    } catch (err) {
      if (err instanceof ApiError) await this.report(null, key, req, err);
      throw err;
    }
    const refusal = await this.refusal(token.actor, access as RouteAccess & { role: Role }, req);
    if (refusal) {
      await this.report(token.actor, key, req, refusal);
      throw refusal;
    }
    await this.tokens.recordUse(token);
    setRequestActor(req, token.actor);
    return true;
  }

  /** Why the token may not make this request (403), or undefined when it may. */
  private async refusal(
    actor: AuditActor,
    access: RouteAccess & { role: Role },
    req: Request,
  ): Promise<ApiError | undefined> {
    const needed = neededRole(access, req.body);
    if (!roleAllows(actor.role!, needed)) {
      const why = needed !== access.role ? ` with ${access.escalate!.field}` : '';
      return new ApiError(
        403,
        ApiErrorCode.RoleTooLow,
        `this request${why} needs the ${needed} role; token ${actor.id} (${actor.name}) has ${actor.role}; ask an owner for a token with role ${needed} (lockstep tokens create --role ${needed})`,
      );
    }
    if (!actor.components || !access.component) return undefined;
    const target = await this.component(access.component, req);
    if (target.name && actor.components.includes(target.name)) return undefined;
    return new ApiError(
      403,
      ApiErrorCode.ComponentNotInScope,
      `token ${actor.id} (${actor.name}) is narrowed to ${actor.components.join(', ')}, and this request ${target.describe}; use a token for that component, or one not narrowed to components`,
    );
  }

  /** The component a request acts on (null: every component, or none could be found) and how to say so. */
  private async component(target: ComponentTarget, req: Request): Promise<{ name: string | null; describe: string }> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const param = (p: string) => String((req.params as Record<string, string>)[p] ?? '');
    switch (target.from) {
      case 'all':
        return { name: null, describe: 'acts on the whole control plane' };
      case 'body': {
        const value = body[target.field];
        return typeof value === 'string'
          ? { name: value, describe: `acts on component ${value}` }
          : { name: null, describe: `names no ${target.field}, so it acts on every component` };
      }
      case 'path':
        return { name: param(target.param), describe: `acts on component ${param(target.param)}` };
      case 'rollout':
        return this.looked('rollout', param(target.param), await this.targets.rolloutComponent(param(target.param)));
      case 'backup': {
        const id = param(target.param);
        const owner = await this.targets.backupOwner(id);
        if (owner?.controlPlane)
          return { name: null, describe: `acts on backup ${id} of the control plane's own databases` };
        return this.looked('backup', id, owner?.component ?? null);
      }
      case 'rollback': {
        const id = typeof body.rolloutId === 'string' ? body.rolloutId : undefined;
        if (!id) return { name: null, describe: 'names no rolloutId (send the rollout to roll back)' };
        return this.looked('rollout', id, await this.targets.rolloutComponent(id));
      }
    }
  }

  private looked(kind: string, id: string, component: string | null): { name: string | null; describe: string } {
    return component
      ? { name: component, describe: `acts on ${kind} ${id} of component ${component}` }
      : { name: null, describe: `names ${kind} ${id}, which does not exist` };
  }

  private async report(actor: AuditActor | null, action: string, req: Request, err: ApiError): Promise<void> {
    if (!this.audit) return;
    try {
      await this.audit.recordRefused({
        actor,
        action,
        target: req.path,
        source: req.ip ?? null,
        status: err.status as 401 | 403,
        reason: err.code,
      });
    } catch (e) {
      this.logger.error(`could not record the refusal of ${action} in the audit trail: ${(e as Error).message}`);
    }
  }
}
