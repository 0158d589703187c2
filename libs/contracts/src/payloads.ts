import { z } from 'zod';
import { Requirements } from './requirements';

/** How a candidate relates to the running version. */
export const ChangeKinds = ['patch', 'minor', 'major', 'prerelease'] as const;
export type ChangeKind = (typeof ChangeKinds)[number];

/** Release channels; a channel sees its own releases and those of more stable channels. */
export const Channels = ['stable', 'beta', 'alpha'] as const;
export type Channel = (typeof Channels)[number];

/** Payload of `evt.release.available.v1`. */
export const ReleaseAvailableV1 = z.object({
  /** Component name as registered. */
  component: z.string().min(1),
  /** The new version, in the component's version scheme. */
  version: z.string().min(1),
  /** Version the component runs now (null when unknown). */
  currentVersion: z.string().nullable(),
  /** Version scheme id (`semver`, `abr`). */
  scheme: z.string(),
  /** Channel the release was published to. */
  channel: z.enum(Channels),
  /** patch / minor / major / prerelease, relative to currentVersion. */
  kind: z.enum(ChangeKinds),
  /** Release fixes a security issue. */
  security: z.boolean(),
  /** Release is a hotfix. */
  hotfix: z.boolean(),
  /** Release breaks compatibility. */
  breaking: z.boolean(),
  /** Release notes (markdown), possibly empty. */
  notes: z.string(),
  /** Where the verified artifact is and what it must hash to. */
  artifact: z.object({
    uri: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    length: z.number().int().nonnegative(),
  }),
  /** Source plugin id that found it (`tuf`, `npm`). */
  source: z.string(),
  /** What the release needs of other components (from its signed metadata): name → version range. */
  requires: Requirements.default({}),
});
export type ReleaseAvailableV1 = z.infer<typeof ReleaseAvailableV1>;

/** Payload of `evt.check.failed.v1`. */
export const CheckFailedV1 = z.object({
  component: z.string().min(1),
  /** Source plugin id. */
  source: z.string(),
  /** Machine-readable reason code, e.g. `METADATA_EXPIRED`, `SOURCE_UNREACHABLE`. */
  code: z.string(),
  /** Human-readable reason, says what to look at. */
  reason: z.string(),
});
export type CheckFailedV1 = z.infer<typeof CheckFailedV1>;

/** The TUF roles of a component's release metadata. */
export const ReleaseMetadataRoles = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type ReleaseMetadataRole = (typeof ReleaseMetadataRoles)[number];

/** Payload of `evt.release.metadata-expiring.v1`: sent once per role version, before it expires. */
export const ReleaseMetadataExpiringV1 = z.object({
  /** Component name as registered. */
  component: z.string().min(1),
  /** The TUF role whose metadata expires. */
  role: z.enum(ReleaseMetadataRoles),
  /** Version of that role's current metadata. */
  version: z.number().int().positive(),
  /** When it expires (ISO 8601); after that, checks, rollouts and rollbacks of the component fail. */
  expiresAt: z.string().datetime(),
  /** True for snapshot and timestamp, which the control plane re-signs itself with its online keys. */
  online: z.boolean(),
  /** What to do about it, e.g. `lockstep release refresh --component api` or set LOCKSTEP_TUF_ONLINE_KEYS_FILE. */
  action: z.string(),
});
export type ReleaseMetadataExpiringV1 = z.infer<typeof ReleaseMetadataExpiringV1>;
