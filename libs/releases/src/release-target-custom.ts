import { Channels, Requirements } from '@lockstep/contracts';
import { z } from 'zod';

/**
 * The `custom` object of every TUF target Lockstep publishes. Readers parse it with this
 * schema; a target whose custom data does not fit is bad data, not a release.
 */
export const ReleaseTargetCustom = z.object({
  /** Version text as published (in the component's version scheme). */
  version: z.string().min(1),
  /** Channel the release was published to. */
  channel: z.enum(Channels),
  /** Release fixes a security issue. */
  security: z.boolean(),
  /** Release breaks compatibility. */
  breaking: z.boolean(),
  /** Release is a hotfix (absent in hand-made metadata = false). */
  hotfix: z.boolean().default(false),
  /** Release notes, markdown, possibly empty. */
  notes: z.string().default(''),
  /** What the release needs of other components: name → version range (absent = nothing). */
  requires: Requirements.optional(),
});
export type ReleaseTargetCustom = z.infer<typeof ReleaseTargetCustom>;
