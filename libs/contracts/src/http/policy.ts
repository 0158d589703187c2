import { z } from 'zod';
import { PolicyFieldPath } from '../policy-file';
import { PolicyFileV1, UpdatePolicyV1 } from '../policies';

/**
 * The update policy in force (`/v1/policy`, issue 13). One policy per control plane, with a
 * revision that grows by one at each change; revision 0 is the built-in default (nothing
 * installs on its own) that is in force until a policy is applied.
 */

/** A revision of the policy: 0 for the built-in default, then 1, 2, … */
export const PolicyRevision = z.number().int().nonnegative();

/** `GET /v1/policy`: the policy in force, as a document and as the YAML `lockstep policy get` prints. */
export const PolicyView = z.object({
  /** Grows by one at each change; 0: the built-in default, never applied. */
  revision: PolicyRevision,
  /** When this revision was applied (RFC 3339); null for the built-in default. */
  appliedAt: z.string().nullable(),
  /** The name of the token that applied it; null for the built-in default. */
  appliedBy: z.string().nullable(),
  /** The policy file, validated. */
  document: PolicyFileV1,
  /** The same as a policy file (keys in schema order, components by name): save it and `policy apply -f` it. */
  yaml: z.string(),
});
export type PolicyView = z.infer<typeof PolicyView>;

/** `GET /v1/policy/components/:name`: the defaults with the component's overrides on top. */
export const ComponentPolicyView = z.object({
  component: z.string(),
  /** The revision of the policy it comes from. */
  revision: PolicyRevision,
  /** The policy in force for the component. */
  policy: UpdatePolicyV1,
  /** Whether the component has overrides of its own (false: the defaults apply as they are). */
  overridden: z.boolean(),
});
export type ComponentPolicyView = z.infer<typeof ComponentPolicyView>;

/** The revision the client last read: the change is refused (409) when another was applied since. */
const ExpectedRevision = PolicyRevision.optional().describe(
  'the revision the change was based on; refused with 409 POLICY_REVISION_CONFLICT when another was applied since',
);

/** Body of `PUT /v1/policy`: a whole policy file, as YAML text (problems then carry line numbers) or as JSON. */
export const PutPolicyBody = z
  .strictObject({
    /** The policy file as YAML text (what `policy apply -f` sends). */
    yaml: z.string().optional().describe('the policy file as YAML text; problems are reported with their line'),
    /** The policy file as JSON (see `lockstep policy schema`). */
    document: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('the policy file as JSON, checked against the policy JSON schema (lockstep policy schema)'),
    expectedRevision: ExpectedRevision,
    /** Only validate and show the difference; nothing is stored. */
    dryRun: z.boolean().optional().describe('only validate and show the difference; nothing is stored'),
  })
  .refine((b) => (b.yaml === undefined) !== (b.document === undefined), {
    message: 'give the policy either as yaml (text) or as document (JSON), exactly one of them',
  });
export type PutPolicyBody = z.infer<typeof PutPolicyBody>;

/** Body of `PATCH /v1/policy`: one field set; the resulting whole policy is validated. */
export const PatchPolicyBody = z.strictObject({
  path: PolicyFieldPath,
  /** The new value (a string, number, boolean, list or object); null removes a component's override. */
  value: z
    .unknown()
    .refine((v) => v !== undefined, { message: 'give the value to set (null removes a component override)' })
    .describe("the field's new value; null removes a component's override"),
  expectedRevision: ExpectedRevision,
  dryRun: z.boolean().optional().describe('only validate and show the difference; nothing is stored'),
});
export type PatchPolicyBody = z.infer<typeof PatchPolicyBody>;

/** One difference between the policy in force and the one sent (absent `from`/`to`: the field was not there). */
export const PolicyChangeView = z.object({
  /** Dotted path, e.g. `components.api.classes.major`. */
  path: z.string(),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
});
export type PolicyChangeView = z.infer<typeof PolicyChangeView>;

/** What `PUT` and `PATCH /v1/policy` answer. */
export const PolicyApplyResult = z.object({
  /** What the request changes (or would, with dryRun), leaf by leaf; empty: nothing differs. */
  changes: z.array(PolicyChangeView),
  /** Whether a new revision was stored (false for a dry run and when nothing differs). */
  applied: z.boolean(),
  /** Whether it was a dry run. */
  dryRun: z.boolean(),
  /** The policy in force after the request. */
  policy: PolicyView,
});
export type PolicyApplyResult = z.infer<typeof PolicyApplyResult>;
