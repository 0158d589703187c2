import { z } from 'zod';

/**
 * Who may do what through the API (wire names: tokens, audit records and the OpenAPI
 * document carry them). Each role includes every right of the roles before it.
 * - `viewer`: reads everything except secrets;
 * - `operator`: checks, upgrades and downgrades, pause/resume/abort, backup create and verify, approvals;
 * - `owner`: everything else as well (data restores, backup restore and prune, components and
 *   trusted roots, subscriptions, lock release, tokens, settings).
 */
export const Role = { Viewer: 'viewer', Operator: 'operator', Owner: 'owner' } as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES = [Role.Viewer, Role.Operator, Role.Owner] as const;
export const RoleSchema = z.enum(ROLES);

/** Whether `held` includes every right of `needed`. */
export const roleAllows = (held: Role, needed: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(needed);

/**
 * The identity behind a request or a decision, as the audit trail records it and as the API
 * passes it to the service that makes a change (queries carry it as `actor`).
 * - `token`: an API token; `id` and `name` are the token's, never a name the caller typed;
 * - `system`: the control plane acting on its own (`name` says which service and why, e.g.
 *   `scheduler` for an automatic rollback).
 */
export const AuditActor = z.object({
  kind: z.enum(['token', 'system']),
  /** The token's id (`kind: token`), or the service's name (`kind: system`). */
  id: z.string().min(1),
  /** The token's name, or the service's name. */
  name: z.string().min(1),
  /** The token's role; null for the system. */
  role: RoleSchema.nullable(),
  /** Components the token is narrowed to; null when it may act on every component. */
  components: z.array(z.string()).nullable(),
  /** The request's source address (the API's view of the client); null for the system. */
  source: z.string().nullable(),
});
export type AuditActor = z.infer<typeof AuditActor>;

/** The actor for a decision the control plane takes on its own. */
export const systemActor = (service: string): AuditActor => ({
  kind: 'system',
  id: service,
  name: service,
  role: null,
  components: null,
  source: null,
});
