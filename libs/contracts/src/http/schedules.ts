import { z } from 'zod';
import { UpdateClasses } from '../policies';
import { ComponentUpsertV1 } from '../queries';
import { checkScheduleFields, MaintenanceWindowSpecV1, ScheduleSpecFields, ScheduleSpecV1 } from '../schedules';

/**
 * Update schedules (`/v1/schedules`) and maintenance windows (`/v1/windows`), issue 13. The API
 * stores them; the schedule engine fires the schedules, policies name the windows.
 */

/** The name of a schedule or window: what the CLI, the API's paths and policies' `windows` use. */
export const ScheduleName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
  message: 'a name is 1-63 lowercase letters, digits and dashes, starting with a letter or digit, e.g. nightly-patches',
});

const Components = z
  .array(ComponentUpsertV1.shape.name)
  .describe('components it covers; empty or absent: every component');

/** A node label key (`group`, `zone`, `example.com/rack`). */
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const LABEL_KEY_MESSAGE =
  'a label key is 1-63 letters, digits, dot, dash, underscore or slash, starting with a letter or digit';
/** A node label value: no commas, equals signs or spaces (the CLI reads `k=v,k2=v2`). */
const LabelValue = z
  .string()
  .regex(/^[^,=\s]{1,253}$/, { message: 'a label value is 1-253 characters without commas, = or spaces' });

/** Body of `POST /v1/schedules`: the spec's fields flat beside the name and what it covers. */
export const CreateScheduleBody = z
  .strictObject({
    /** The schedule's name (unique). */
    name: ScheduleName,
    ...ScheduleSpecFields,
    /** Components it updates; absent or empty: every component. */
    components: Components.optional(),
    /** Update classes it installs (security, hotfix, patch, …); absent or empty: every class. */
    classes: z
      .array(z.enum(UpdateClasses, { message: `must be an update class: ${UpdateClasses.join(', ')}` }))
      .optional()
      .describe('update classes it installs; empty or absent: every class'),
    /** Whether it fires; default true. */
    enabled: z.boolean().optional().describe('whether it fires (default true)'),
  })
  .superRefine(checkScheduleFields);
export type CreateScheduleBody = z.infer<typeof CreateScheduleBody>;

/** Body of `POST /v1/windows`. */
export const CreateWindowBody = z.strictObject({
  /** The window's name (unique); policies name it in `windows`. */
  name: ScheduleName,
  ...MaintenanceWindowSpecV1.shape,
  /** Components it applies to; absent or empty: every component. */
  components: Components.optional(),
  /** The node group: labels a node must have (`{ "group": "canary" }`); absent or empty: every node. */
  nodeLabels: z
    .record(z.string(), LabelValue)
    .superRefine((labels, ctx) => {
      // a bad key reported at its own path with what keys may be (zod says only "Invalid key in record")
      for (const key of Object.keys(labels))
        if (!LABEL_KEY.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: LABEL_KEY_MESSAGE });
    })
    .optional()
    .describe('the node group: labels a node must have; empty or absent: every node'),
  /** Whether it is in force; default true. */
  enabled: z.boolean().optional().describe('whether it is in force (default true)'),
});
export type CreateWindowBody = z.infer<typeof CreateWindowBody>;

/** Body of `PATCH /v1/schedules/:name` and `PATCH /v1/windows/:name`. */
export const SetEnabledBody = z.strictObject({
  /** true: fires / is in force; false: kept but ignored. */
  enabled: z.boolean({ message: 'enabled must be true or false' }),
});
export type SetEnabledBody = z.infer<typeof SetEnabledBody>;

/** What a schedule run came to, as the engine records it. */
export const ScheduleRunOutcomes = ['started', 'nothing-to-do', 'skipped-missed', 'failed'] as const;

/** One recorded run of a schedule. */
export const ScheduleRunView = z.object({
  /** When it was due (RFC 3339, UTC). */
  dueAt: z.string(),
  /** When a replica fired it (RFC 3339, UTC). */
  firedAt: z.string(),
  /** started, nothing-to-do, skipped-missed or failed. */
  outcome: z.string().describe(ScheduleRunOutcomes.join(' | ')),
  /** Rollouts it started. */
  rolloutIds: z.array(z.string()),
  /** What happened, in words. */
  detail: z.string(),
});
export type ScheduleRunView = z.infer<typeof ScheduleRunView>;

/** A schedule as the API shows it, with its next runs and last recorded runs. */
export const ScheduleView = z.object({
  id: z.string(),
  name: z.string(),
  /** When it runs. */
  spec: ScheduleSpecV1,
  /** Components it covers; empty: every component. */
  components: z.array(z.string()),
  /** Update classes it covers; empty: every class. */
  classes: z.array(z.string()),
  enabled: z.boolean(),
  /** The next five runs (RFC 3339, UTC), earliest first; empty when disabled. */
  nextRuns: z.array(z.string()),
  /** The same runs as wall-clock times in the schedule's zone (`2026-12-13 03:00 Europe/Berlin`). */
  nextRunsLocal: z.array(z.string()),
  /** The last recorded runs, newest first. */
  lastRuns: z.array(ScheduleRunView),
});
export type ScheduleView = z.infer<typeof ScheduleView>;

/** A maintenance window as the API shows it, with its state now. */
export const WindowView = z.object({
  id: z.string(),
  name: z.string(),
  /** When it opens and for how long. */
  spec: MaintenanceWindowSpecV1,
  /** Components it applies to; empty: every component. */
  components: z.array(z.string()),
  /** Labels a node must have; empty: every node. */
  nodeLabels: z.record(z.string(), z.string()),
  enabled: z.boolean(),
  /** Whether it is open now (false when disabled). */
  open: z.boolean(),
  /** Start of the current opening when open, else of the next (RFC 3339); null: never (or disabled). */
  opensAt: z.string().nullable(),
  /** When the current or next opening closes (RFC 3339); null: never, or disabled. */
  closesAt: z.string().nullable(),
  /** opensAt as a wall-clock time in the window's zone. */
  opensAtLocal: z.string().nullable(),
  /** closesAt as a wall-clock time in the window's zone. */
  closesAtLocal: z.string().nullable(),
});
export type WindowView = z.infer<typeof WindowView>;
