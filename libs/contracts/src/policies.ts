import { z } from 'zod';
import { DurationWithUnit } from './duration';
import { ChangeKinds, Channels } from './payloads';
import { CountOrPercent } from './rollout-queries';

/**
 * Update classes a policy decides per: the flags of `evt.release.available.v1` (`security`,
 * `hotfix`) and its change kinds (patch / minor / major / prerelease).
 */
export const UpdateClasses = ['security', 'hotfix', ...ChangeKinds] as const;
export type UpdateClass = (typeof UpdateClasses)[number];

/** What a policy does with a release of one class. */
export const UpdateActions = ['immediate', 'next-window', 'approval', 'never'] as const;
export type UpdateAction = (typeof UpdateActions)[number];

/** A policy's durations: written with their unit (see DurationWithUnit). */
export const PolicyDuration = DurationWithUnit;

/** The action per update class; every class must be named in the defaults. */
export const ClassActionsV1 = z.strictObject(
  Object.fromEntries(UpdateClasses.map((c) => [c, z.enum(UpdateActions)])) as Record<
    UpdateClass,
    z.ZodEnum<{ [A in UpdateAction]: A }>
  >,
);
export type ClassActionsV1 = z.infer<typeof ClassActionsV1>;

/** How an automatic update rolls out (the fields of a rollout request, durations written with units). */
export const PolicyStrategyV1 = z.strictObject({
  /** Nodes updated at once. */
  maxParallel: z.number().int().positive(),
  /** Nodes (or a percentage of them) updated and soaked first. */
  canary: CountOrPercent,
  /** How long a node must stay healthy after its restart to count as updated. */
  minHealthy: PolicyDuration,
  /** How long a node may take to become healthy. */
  healthyDeadline: PolicyDuration,
  /** Failed nodes (or a percentage) tolerated before the rollout fails. */
  failureBudget: CountOrPercent,
  /** Return updated nodes to their previous version when the rollout fails. */
  autoRollback: z.boolean(),
});
export type PolicyStrategyV1 = z.infer<typeof PolicyStrategyV1>;

/** The update policy of one component (or the fleet default). */
export const UpdatePolicyV1 = z.strictObject({
  /** What happens to a release of each class. */
  classes: ClassActionsV1.describe(
    'what happens to a release of each class: immediate, next-window, approval or never',
  ),
  /** Release channel followed. */
  channel: z.enum(Channels).describe('release channel followed'),
  /** A release installs on its own only once it is this old (`0s` turns the wait off). */
  minimumReleaseAge: PolicyDuration.describe('a release installs on its own only once it is this old (0s: no wait)'),
  /** Classes that install without waiting for minimumReleaseAge (e.g. security, hotfix). */
  bypassMinimumAgeFor: z.array(z.enum(UpdateClasses)).describe('classes that do not wait for minimumReleaseAge'),
  /** How the update rolls out. */
  strategy: PolicyStrategyV1.describe('how the update rolls out'),
  /** Take a backup of the component's data before updating. */
  backupBefore: z.boolean().describe('take a backup of the component data before updating'),
  /** Names of the maintenance windows `next-window` waits for. */
  windows: z.array(z.string().min(1)).describe('names of the maintenance windows next-window waits for'),
});
export type UpdatePolicyV1 = z.infer<typeof UpdatePolicyV1>;

/** A component's overrides: any field of the policy, nested objects field by field. */
export const UpdatePolicyOverridesV1 = z
  .strictObject({
    ...UpdatePolicyV1.shape,
    classes: ClassActionsV1.partial(),
    strategy: PolicyStrategyV1.partial(),
  })
  .partial();
export type UpdatePolicyOverridesV1 = z.infer<typeof UpdatePolicyOverridesV1>;

/** The file `lockstep policy apply -f` reads and `lockstep policy get` prints. */
export const PolicyFileV1 = z.strictObject({
  apiVersion: z.literal('lockstep/v1'),
  kind: z.literal('UpdatePolicy'),
  /** The fleet default, complete. */
  defaults: UpdatePolicyV1,
  /** Per component name, the fields that differ from the defaults. */
  components: z.record(z.string().min(1), UpdatePolicyOverridesV1).default({}),
});
export type PolicyFileV1 = z.infer<typeof PolicyFileV1>;

/**
 * The policy in force when none was ever applied: nothing installs on its own (every class
 * `never`), so a control plane without a policy behaves as before policies existed.
 */
export const DEFAULT_POLICY_FILE: PolicyFileV1 = {
  apiVersion: 'lockstep/v1',
  kind: 'UpdatePolicy',
  defaults: {
    classes: Object.fromEntries(UpdateClasses.map((c) => [c, 'never'])) as ClassActionsV1,
    channel: 'stable',
    minimumReleaseAge: '0s',
    bypassMinimumAgeFor: [],
    strategy: {
      maxParallel: 1,
      canary: 0,
      minHealthy: '10s',
      healthyDeadline: '5m',
      failureBudget: 0,
      autoRollback: true,
    },
    backupBefore: false,
    windows: [],
  },
  components: {},
};

/** The policy in force for `component`: the defaults with the component's overrides on top. */
export function effectivePolicy(file: PolicyFileV1, component: string): UpdatePolicyV1 {
  const d = file.defaults;
  const o = Object.hasOwn(file.components, component) ? file.components[component] : {};
  return {
    ...d,
    ...o,
    classes: { ...d.classes, ...o.classes },
    strategy: { ...d.strategy, ...o.strategy },
  };
}
