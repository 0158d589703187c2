import { z } from 'zod';
import { PolicyDecisions } from './policy-decision';
import { UpdateClasses } from './policies';

/** One release newer than what a component runs, and what its policy decided (a row of `lockstep updates`). */
export const UpdateViewV1 = z.object({
  /** Component name. */
  component: z.string(),
  /** The release. */
  version: z.string(),
  /** What the component runs now (null when unknown). */
  currentVersion: z.string().nullable(),
  /** The class the policy decides by: security, hotfix, or the change kind. */
  class: z.enum(UpdateClasses),
  /** install-now, wait-window, wait-approval, too-young, held, skipped or rejected. */
  decision: z.enum(PolicyDecisions),
  /** The sentence that says why, e.g. `waits for the window opening 2026-03-29 03:00 Europe/Berlin`. */
  reason: z.string(),
  /** When the decision changes on its own (the age is reached, a window opens), ISO 8601. */
  until: z.string().nullable(),
  /** When the checker announced the release (its age counts from here), ISO 8601. */
  publishedAt: z.string(),
  /** The automatic rollout of this release under way, if any. */
  rolloutId: z.string().nullable(),
});
export type UpdateViewV1 = z.infer<typeof UpdateViewV1>;

/** Request of `qry.scheduler.updates.v1`. */
export const UpdatesQueryV1 = z.object({
  /** Only this component's releases. */
  component: z.string().min(1).optional(),
});
export type UpdatesQueryV1 = z.infer<typeof UpdatesQueryV1>;

/** Reply of `qry.scheduler.updates.v1` and body of `GET /v1/updates`. */
export const UpdatesReplyV1 = z.object({
  /** The scheduler's time of the evaluation, ISO 8601. */
  now: z.string(),
  /** False when the setting update.automatic is off: nothing installs on its own. */
  automatic: z.boolean(),
  /** Newest release first within each component. */
  items: z.array(UpdateViewV1),
});
export type UpdatesReplyV1 = z.infer<typeof UpdatesReplyV1>;
