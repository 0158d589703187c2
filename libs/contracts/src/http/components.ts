import { z } from 'zod';
import { CheckNowV1, CheckResultV1, ComponentUpsertV1 } from '../queries';

/** Path parameter `:name` of /v1/components/:name. */
export const ComponentNameParam = ComponentUpsertV1.shape.name;

/** Body of `PUT /v1/components/:name`: the checker's ComponentUpsertV1 without the name (it is in the path). */
export const PutComponentBody = ComponentUpsertV1.omit({ name: true }).strict();
export type PutComponentBody = z.infer<typeof PutComponentBody>;

/** Body of `POST /v1/checks`: check one component, or all when `component` is absent. */
export const PostChecksBody = CheckNowV1.strict();
export type PostChecksBody = z.infer<typeof PostChecksBody>;

/** A component as the API shows it: its settings without the pinned root or credentials. */
export const ComponentView = z.object({
  /** Unique name, e.g. `demo-app`. */
  name: z.string(),
  /** Version scheme id (`semver`, `abr`). */
  scheme: z.string(),
  /** Channel whose releases are offered (`stable`, `beta`, `alpha`). */
  channel: z.string(),
  /** Version the component runs now; null before the first install is known. */
  currentVersion: z.string().nullable(),
  /** Release source plugin id (`tuf`, `npm`). */
  sourceType: z.string(),
  /** Source settings; `trustedRoot` is replaced by `trustedRootSha256`, credentials are masked. */
  source: z
    .record(z.string(), z.unknown())
    .describe(
      'source settings; trustedRoot is replaced by trustedRootSha256 (sha256 hex of the pinned root.json), credentials are masked',
    ),
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
