import { z } from 'zod';
import { ComponentUpsertV1 } from '@lockstep/contracts';
import { LimitParam } from '../http/query-params';

/** Query of `GET /v1/releases`. */
export const ListReleasesQuery = z.strictObject({
  /** Only releases of this component. */
  component: ComponentUpsertV1.shape.name.optional(),
  limit: LimitParam,
});
export type ListReleasesQuery = z.infer<typeof ListReleasesQuery>;

/** A release the checker announced (`release.available` was sent for it). */
export const ReleaseViewSchema = z.object({
  /** Also the id of the release.available CloudEvent. */
  id: z.string(),
  component: z.string(),
  version: z.string(),
  /** patch, minor, major or prerelease, relative to what ran when it was announced. */
  kind: z.string(),
  channel: z.string(),
  security: z.boolean(),
  breaking: z.boolean(),
  hotfix: z.boolean(),
  artifact: z.object({ uri: z.string(), sha256: z.string(), length: z.number().int() }),
  notes: z.string(),
  announcedAt: z.string(),
});
export type ReleaseView = z.infer<typeof ReleaseViewSchema>;
