import { z } from 'zod';
import { CheckNowV1, CheckResultV1, ComponentUpsertV1 } from '../queries';
import { Requirements } from '../requirements';

/** Path parameter `:name` of /v1/components/:name. */
export const ComponentNameParam = ComponentUpsertV1.shape.name;

/** Body of `PUT /v1/components/:name`: the checker's ComponentUpsertV1 without the name (it is in the path). */
export const PutComponentBody = ComponentUpsertV1.omit({ name: true }).strict();
export type PutComponentBody = z.infer<typeof PutComponentBody>;

/** Body of `POST /v1/checks`: check one component, or all when `component` is absent. */
export const PostChecksBody = CheckNowV1.strict();
export type PostChecksBody = z.infer<typeof PostChecksBody>;

/** How many live nodes run one version of a component. */
export const FleetVersionCount = z.object({
  /** A version the component's live nodes report running. */
  version: z.string(),
  /** How many live nodes run it. */
  nodes: z.number().int().nonnegative(),
});
export type FleetVersionCount = z.infer<typeof FleetVersionCount>;

/**
 * What a component's nodes run, from their heartbeats (each node's versions: `GET /v1/nodes`).
 * The component's currentVersion follows it: the lowest version a live node runs.
 */
export const ComponentFleet = z
  .object({
    /** Live nodes that report running the component. */
    nodes: z.number().int().nonnegative(),
    /** Lost nodes (no heartbeat for too long) that last reported running it; not in `versions`. */
    lost: z.number().int().nonnegative(),
    /** Each version live nodes run, newest first by the component's version scheme. */
    versions: z.array(FleetVersionCount),
  })
  .describe(
    "what the component's nodes run, from their heartbeats: live nodes per version (newest first by the version scheme), lost nodes counted apart",
  );
export type ComponentFleet = z.infer<typeof ComponentFleet>;

/** A component as the API shows it: its settings without the pinned root or credentials. */
export const ComponentView = z.object({
  /** Unique name, e.g. `demo-app`. */
  name: z.string(),
  /** Version scheme id (`semver`, `abr`). */
  scheme: z.string(),
  /** Channel whose releases are offered (`stable`, `beta`, `alpha`). */
  channel: z.string(),
  /**
   * Version the component counts as running: the lowest version its live nodes run (it follows
   * them after each rollout and as heartbeats change); before any node reports, the one it was
   * registered with; null when neither is known. New releases are announced relative to it.
   */
  currentVersion: z.string().nullable(),
  /** What its nodes run; null when the API could not read the node directory (NATS) just now. */
  fleet: ComponentFleet.nullable(),
  /** Release source plugin id (`tuf`, `npm`). */
  sourceType: z.string(),
  /** Source settings; `trustedRoot` is replaced by `trustedRootSha256`, credentials are masked. */
  source: z
    .record(z.string(), z.unknown())
    .describe(
      'source settings; trustedRoot is replaced by trustedRootSha256 (sha256 hex of the pinned root.json), credentials are masked',
    ),
  /** What it needs of other components: name → version range (`{}` for nothing). */
  requires: Requirements,
  /** When the source was last checked; null before the first check. */
  lastCheckedAt: z.string().nullable(),
  /** Why the last check failed; null after a good one. */
  lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** When it was registered (RFC 3339). */
  createdAt: z.string(),
  /** When it was last changed (RFC 3339). */
  updatedAt: z.string(),
});
export type ComponentView = z.infer<typeof ComponentView>;

/** What `POST /v1/checks` answers: the checker's result per component checked. */
export const CheckResults = z.object({
  /** One result per component checked. */
  results: z.array(CheckResultV1),
});
export type CheckResults = z.infer<typeof CheckResults>;
