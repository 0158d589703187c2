import { z } from 'zod';
import { UpdateClasses } from './policies';

/**
 * Operators' decisions about automatic updates (issue 13): approvals of releases whose policy
 * asks for one, and holds that stop automatic installs of a component or of one version.
 */

/** Where an approval stands: the engine asks (`pending`), an operator decides. */
export const ApprovalStates = ['pending', 'approved', 'rejected'] as const;
export type ApprovalState = (typeof ApprovalStates)[number];

/** The decision an operator takes on a release. */
export type ApprovalDecision = Exclude<ApprovalState, 'pending'>;

/** The exact command that approves `version` of `component` (what an approval request tells people to run). */
export const approveCommand = (component: string, version: string): string =>
  `lockstep approve ${component} ${version}`;

/** The exact command that lifts a hold on `component` (or on one of its versions). */
export const releaseHoldCommand = (component: string, version: string | null): string =>
  `lockstep release-hold ${component}${version === null ? '' : ` --version ${version}`}`;

/** Payload of `evt.update.approval_requested.v1`: a release waits for an operator's approval. */
export const UpdateApprovalRequestedV1 = z.object({
  /** Component name as registered. */
  component: z.string().min(1),
  /** The release waiting for approval. */
  version: z.string().min(1),
  /** Its class (security, hotfix, patch, minor, major, prerelease), which the policy asks approval for. */
  class: z.enum(UpdateClasses),
  /** Version the component runs now (null when unknown). */
  currentVersion: z.string().nullable(),
  /** Why it waits, as `lockstep updates` says it. */
  reason: z.string(),
  /** The exact command that approves it (see {@link approveCommand}). */
  approveWith: z.string(),
});
export type UpdateApprovalRequestedV1 = z.infer<typeof UpdateApprovalRequestedV1>;

/** Payload of `evt.update.held.v1`: automatic installs of a component (or one version) stopped. */
export const UpdateHeldV1 = z.object({
  /** Component name as registered. */
  component: z.string().min(1),
  /** The held version; null: every version. */
  version: z.string().nullable(),
  /** Why, as the operator or the control plane said it. */
  reason: z.string(),
  /** True when the control plane held it (a release whose automatic rollout failed and rolled back). */
  automatic: z.boolean(),
  /** Who held it: a token's name, or the service. */
  by: z.string(),
  /** The exact command that lifts the hold (see {@link releaseHoldCommand}). */
  releaseWith: z.string(),
});
export type UpdateHeldV1 = z.infer<typeof UpdateHeldV1>;
