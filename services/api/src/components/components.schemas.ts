import { z } from 'zod';
import { CheckNowV1, ComponentUpsertV1 } from '@lockstep/contracts';

/** Path parameter `:name` of /v1/components/:name. */
export const ComponentNameParam = ComponentUpsertV1.shape.name;

/** Body of `PUT /v1/components/:name`: the checker's ComponentUpsertV1 without the name (it is in the path). */
export const PutComponentBody = ComponentUpsertV1.omit({ name: true }).strict();
export type PutComponentBody = z.infer<typeof PutComponentBody>;

/** Body of `POST /v1/checks`: check one component, or all when `component` is absent. */
export const PostChecksBody = CheckNowV1.strict();
export type PostChecksBody = z.infer<typeof PostChecksBody>;

/** A component as the API shows it: its settings without the pinned root or credentials. */
export const ComponentViewSchema = z.object({
  name: z.string(),
  /** Version scheme id (`semver`, `abr`). */
  scheme: z.string(),
  channel: z.string(),
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
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ComponentView = z.infer<typeof ComponentViewSchema>;

/** Result of a check of one component (the checker's CheckResultV1). */
export const CheckResultSchema = z.object({
  component: z.string(),
  ok: z.boolean(),
  /** Versions announced by this check. */
  announced: z.array(z.string()),
  error: z.object({ code: z.string(), reason: z.string() }).optional(),
});
