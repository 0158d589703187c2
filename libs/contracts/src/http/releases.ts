import { z } from 'zod';
import { ComponentUpsertV1 } from '../queries';
import { LimitParam } from './common';

/** Query of `GET /v1/releases`. */
export const ListReleasesQuery = z.strictObject({
  /** Only releases of this component. */
  component: ComponentUpsertV1.shape.name.optional(),
  /** Most releases answered (1..200, default 50). */
  limit: LimitParam,
});
export type ListReleasesQuery = z.infer<typeof ListReleasesQuery>;

/** A release the checker announced (`release.available` was sent for it). */
export const ReleaseView = z.object({
  /** Also the id of the release.available CloudEvent. */
  id: z.string(),
  /** The component released. */
  component: z.string(),
  /** The version released. */
  version: z.string(),
  /** patch, minor, major or prerelease, relative to what ran when it was announced. */
  kind: z.string(),
  /** Channel it was published on (`stable`, `beta`, `alpha`). */
  channel: z.string(),
  /** The release metadata marks it a security fix. */
  security: z.boolean(),
  /** The release metadata marks it breaking. */
  breaking: z.boolean(),
  /** The release metadata marks it a hotfix. */
  hotfix: z.boolean(),
  /** Where the artifact is and what it must hash to. */
  artifact: z.object({ uri: z.string(), sha256: z.string(), length: z.number().int() }),
  /** Release notes as published. */
  notes: z.string(),
  /** When the checker announced it (RFC 3339). */
  announcedAt: z.string(),
});
export type ReleaseView = z.infer<typeof ReleaseView>;
