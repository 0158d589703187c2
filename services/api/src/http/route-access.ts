import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { Role } from '@lockstep/contracts';

/**
 * How the guard finds the component a request acts on, for tokens narrowed to components:
 * - `body`: a field of the JSON body (absent: the request acts on every component);
 * - `path`: a path parameter that is the component's name;
 * - `rollout` / `backup`: a path parameter naming a rollout or backup, whose component is looked up
 *   (a backup with no node is of the control plane's own databases: only an unscoped token may act on it);
 * - `rollback`: the body's `rolloutId` (absent: the latest rollout, which a narrowed token must name instead);
 * - `all`: the route acts on the whole control plane (subscriptions, tokens, the lock, prune,
 *   backups of the control plane's component): only a token that is not narrowed may call it.
 */
export type ComponentTarget =
  | { from: 'body'; field: string }
  | { from: 'path'; param: string }
  | { from: 'rollout'; param: string }
  | { from: 'backup'; param: string }
  | { from: 'rollback' }
  | { from: 'all' };

/** What a route needs. */
export interface RouteAccess {
  /** The least role that may call it; `public` routes need no token (probes, scrapers, this document). */
  role: Role | 'public';
  /** A higher role needed when the body's boolean `field` is true (rollback with `restoreData`). */
  escalate?: { field: string; role: Role };
  /**
   * Mutations acting on one component name how to find it. Reads are not refused to a narrowed
   * token; the rollout and backup lists show it only its components, other reads show everything.
   */
  component?: ComponentTarget;
}

const { Viewer, Operator, Owner } = Role;
const ALL: ComponentTarget = { from: 'all' };

/**
 * Every route of the API and the role it needs: the one place access is declared. The guard
 * refuses a route missing here (fail closed), a spec checks this table and the served routes
 * agree, and the OpenAPI document is generated from it (`x-lockstep-role`).
 */
export const ROUTE_ACCESS: Record<string, RouteAccess> = {
  'GET /healthz': { role: 'public' },
  'GET /readyz': { role: 'public' },
  'GET /metrics': { role: 'public' },
  'GET /v1/openapi.json': { role: 'public' },

  'GET /v1/components': { role: Viewer },
  'GET /v1/components/:name': { role: Viewer },
  'PUT /v1/components/:name': { role: Owner, component: { from: 'path', param: 'name' } },
  'POST /v1/checks': { role: Operator, component: { from: 'body', field: 'component' } },
  'GET /v1/releases': { role: Viewer },

  'GET /v1/subscriptions': { role: Viewer },
  'POST /v1/subscriptions': { role: Owner, component: ALL },
  'PATCH /v1/subscriptions/:id': { role: Owner, component: ALL },
  'DELETE /v1/subscriptions/:id': { role: Owner, component: ALL },
  'GET /v1/deliveries': { role: Viewer },
  'GET /v1/dead-letters': { role: Viewer },
  'POST /v1/dead-letters/replay': { role: Owner, component: ALL },
  'POST /v1/dead-letters/redrive': { role: Owner, component: ALL },
  'POST /v1/dead-letters/discard': { role: Owner, component: ALL },
  'POST /v1/secrets/rotate': { role: Owner, component: ALL },

  'GET /v1/nodes': { role: Viewer },
  'GET /v1/updates': { role: Viewer },
  // a node is no component: only a token for every component may remove one
  'DELETE /v1/nodes/:id': { role: Operator, component: ALL },
  'GET /v1/rollouts': { role: Viewer },
  'POST /v1/rollouts': { role: Operator, component: { from: 'body', field: 'component' } },
  'GET /v1/rollouts/:id': { role: Viewer },
  'POST /v1/rollouts/:id/pause': { role: Operator, component: { from: 'rollout', param: 'id' } },
  'POST /v1/rollouts/:id/resume': { role: Operator, component: { from: 'rollout', param: 'id' } },
  'POST /v1/rollouts/:id/abort': { role: Operator, component: { from: 'rollout', param: 'id' } },
  'POST /v1/rollbacks': {
    role: Operator,
    escalate: { field: 'restoreData', role: Owner },
    component: { from: 'rollback' },
  },
  'GET /v1/locks': { role: Viewer },
  'POST /v1/locks/:key/release': { role: Owner, component: ALL },

  'GET /v1/backups': { role: Viewer },
  'POST /v1/backups': { role: Operator, component: ALL },
  'POST /v1/backups/prune': { role: Owner, component: ALL },
  'GET /v1/backups/:id': { role: Viewer },
  'POST /v1/backups/:id/verify': { role: Operator, component: { from: 'backup', param: 'id' } },
  'POST /v1/backups/:id/restore': { role: Owner, component: { from: 'backup', param: 'id' } },
  'GET /v1/backup-operations/:id': { role: Viewer },

  'GET /v1/policy': { role: Viewer },
  'GET /v1/policy/components/:name': { role: Viewer },
  // the policy decides for every component: only a token for every component may change it
  'PUT /v1/policy': { role: Operator, component: ALL },
  'PATCH /v1/policy': { role: Operator, component: ALL },
  'GET /v1/updates/approvals': { role: Viewer },
  'POST /v1/updates/:component/:version/approve': { role: Operator, component: { from: 'path', param: 'component' } },
  'POST /v1/updates/:component/:version/reject': { role: Operator, component: { from: 'path', param: 'component' } },
  'GET /v1/holds': { role: Viewer },
  'POST /v1/holds': { role: Operator, component: { from: 'body', field: 'component' } },
  'DELETE /v1/holds/:component': { role: Operator, component: { from: 'path', param: 'component' } },

  'GET /v1/audit': { role: Viewer },
  'GET /v1/audit/verify': { role: Viewer },

  'GET /v1/tokens': { role: Owner, component: ALL },
  'POST /v1/tokens': { role: Owner, component: ALL },
  'DELETE /v1/tokens/:id': { role: Owner, component: ALL },

  // a schedule or window may cover every component (components empty): only a token for every component may change one
  'GET /v1/schedules': { role: Viewer },
  'GET /v1/schedules/:name': { role: Viewer },
  'POST /v1/schedules': { role: Operator, component: ALL },
  'PATCH /v1/schedules/:name': { role: Operator, component: ALL },
  'DELETE /v1/schedules/:name': { role: Operator, component: ALL },
  'GET /v1/windows': { role: Viewer },
  'GET /v1/windows/:name': { role: Viewer },
  'POST /v1/windows': { role: Operator, component: ALL },
  'PATCH /v1/windows/:name': { role: Operator, component: ALL },
  'DELETE /v1/windows/:name': { role: Operator, component: ALL },
  'GET /v1/settings': { role: Viewer },
  'GET /v1/settings/:key': { role: Viewer },
  'PUT /v1/settings/:key': { role: Owner, component: ALL },
  'DELETE /v1/settings/:key': { role: Owner, component: ALL },
};

/** The role a request needs: the route's, or its escalated one when the body asks for more. */
export function neededRole(access: RouteAccess & { role: Role }, body: unknown): Role {
  const flag = access.escalate && (body as Record<string, unknown> | undefined)?.[access.escalate.field];
  return flag === true ? access.escalate!.role : access.role;
}

/** `METHOD /path/:param` of a controller's handler, as {@link ROUTE_ACCESS} keys it. */
export function routeKey(controller: Type<unknown> | object, handler: object): string {
  const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
  const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
  const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
  return `${method} /${[prefix, sub].filter((p) => p && p !== '/').join('/')}`;
}

/** Every route the controllers serve, keyed like {@link ROUTE_ACCESS}. */
export function servedRouteKeys(controllers: Array<Type<unknown>>): string[] {
  const keys: string[] = [];
  for (const controller of controllers) {
    const proto = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      keys.push(routeKey(controller, handler));
    }
  }
  return keys.sort();
}
