import { z } from 'zod';
import { ComponentUpsertV1 } from '../queries';
import { ApprovalStates } from '../update-decisions';

/**
 * Approvals and holds (`/v1/updates/approvals`, `/v1/updates/:component/:version/approve|reject`,
 * `/v1/holds`): operators' decisions the automatic-update engine reads.
 */

/** A version in a path or body: what the release metadata names (semver, abr, …), no spaces or slashes. */
export const ReleaseVersionParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$/, {
  message: 'expected a release version as lockstep releases shows it, e.g. 1.4.0',
});

const REASON_MAX = 1000;

/** Body of `POST /v1/updates/:component/:version/approve`. */
export const ApproveUpdateBody = z.strictObject({
  /** Why (recorded in the audit trail); optional. */
  reason: z.string().max(REASON_MAX).default('').describe('why (recorded in the audit trail); optional'),
});
export type ApproveUpdateBody = z.infer<typeof ApproveUpdateBody>;

/** Body of `POST /v1/updates/:component/:version/reject`: a rejection says why. */
export const RejectUpdateBody = z.strictObject({
  /** Why it must not be installed (shown in `lockstep updates`, recorded in the audit trail). */
  reason: z
    .string()
    .trim()
    .min(1, { message: 'say why the release is rejected (reason), so others know' })
    .max(REASON_MAX)
    .describe('why it must not be installed (shown with the release, recorded in the audit trail)'),
});
export type RejectUpdateBody = z.infer<typeof RejectUpdateBody>;

/** An approval asked for or decided, as `GET /v1/updates/approvals` lists it. */
export const ApprovalView = z.object({
  /** The component. */
  component: z.string(),
  /** The release. */
  version: z.string(),
  /** pending (asked, undecided), approved or rejected. */
  state: z.enum(ApprovalStates),
  /** When the engine asked for it (RFC 3339); null when an operator decided before it asked. */
  requestedAt: z.string().nullable(),
  /** When it was decided (RFC 3339); null while pending. */
  decidedAt: z.string().nullable(),
  /** Name of the token that decided; null while pending. */
  decidedBy: z.string().nullable(),
  /** Why, as the operator said; empty when they said nothing. */
  reason: z.string(),
});
export type ApprovalView = z.infer<typeof ApprovalView>;

/** What approve and reject answer: the decision, and the one it replaced when it went the other way. */
export const ApprovalDecided = z.object({
  /** The release's approval as it now stands. */
  approval: ApprovalView,
  /** The earlier decision this one overturned (approved → rejected or back); null when there was none. */
  replaced: ApprovalView.nullable(),
});
export type ApprovalDecided = z.infer<typeof ApprovalDecided>;

/** Body of `POST /v1/holds`. */
export const CreateHoldBody = z.strictObject({
  /** The component whose automatic installs stop. */
  component: ComponentUpsertV1.shape.name.describe('the component whose automatic installs stop'),
  /** Only this version; absent: every version. */
  version: ReleaseVersionParam.optional().describe('only this version; absent: every version'),
  /** Why (shown in `lockstep holds` and `lockstep updates`, recorded in the audit trail). */
  reason: z
    .string()
    .trim()
    .min(1, { message: 'say why the component is held (reason), so others know when to release it' })
    .max(REASON_MAX)
    .describe('why (shown with the hold, recorded in the audit trail)'),
});
export type CreateHoldBody = z.infer<typeof CreateHoldBody>;

/** Query of `DELETE /v1/holds/:component`. */
export const ReleaseHoldQuery = z.strictObject({
  /** The version whose hold goes; absent: the hold on every version. */
  version: ReleaseVersionParam.optional(),
});
export type ReleaseHoldQuery = z.infer<typeof ReleaseHoldQuery>;

/** A hold on a component (or one version) that stops its automatic installs. */
export const HoldView = z.object({
  /** The hold's id. */
  id: z.string(),
  /** The component held. */
  component: z.string(),
  /** The version held; null: every version. */
  version: z.string().nullable(),
  /** Why. */
  reason: z.string(),
  /** True when the control plane held it (an automatic rollout of the release failed and rolled back). */
  automatic: z.boolean(),
  /** When (RFC 3339). */
  createdAt: z.string(),
  /** Who held it: a token's name, or the service. */
  createdBy: z.string(),
  /** When it was released (RFC 3339); null while it holds. */
  releasedAt: z.string().nullable(),
  /** Who released it; null while it holds. */
  releasedBy: z.string().nullable(),
});
export type HoldView = z.infer<typeof HoldView>;
