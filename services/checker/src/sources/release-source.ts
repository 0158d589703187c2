import { CodedError, type Channel, type Requirements } from '@lockstep/contracts';
import type { GuardedFetch } from '@lockstep/net-guard';
import type { ObjectStore } from '@lockstep/storage';
import type { z } from 'zod';

/** One release as a source reports it, after the source verified it. */
export interface SourceRelease {
  version: string;
  channel: Channel;
  security: boolean;
  hotfix: boolean;
  breaking: boolean;
  notes: string;
  /** What the release needs of other components (from its signed metadata); absent = nothing. */
  requires?: Requirements;
  /** Where the artifact is (s3://bucket/key, https://…, npm tarball URL) and what it hashes to. */
  artifact: { uri: string; sha256: string; length: number };
}

/** What a plugin receives for one check of one component. */
export interface SourceCheckContext<C = Record<string, unknown>> {
  /** Component name. */
  component: string;
  /** The component's source settings, already validated with the plugin's configSchema. */
  config: C;
  /**
   * Opaque state the plugin returned last time (ETag, Last-Modified, trusted TUF metadata…),
   * persisted by the checker in Postgres; `{}` on the first check.
   */
  state: Record<string, unknown>;
  /** Aborts when the check times out or the service shuts down. */
  signal: AbortSignal;
  /** The deployment's object store, for sources that read straight from the bucket. */
  objectStore?: ObjectStore;
  /**
   * The only way a plugin may reach a URL: fetch through the destination guard (special-purpose
   * and cloud-metadata addresses refused unless CHECKER_ALLOWED_DESTINATIONS allows them; DNS
   * asked once and the connection pinned; every redirect re-checked).
   */
  fetch: GuardedFetch;
  /** Scratch directory the plugin may use for this check; removed afterwards. */
  workDir: string;
  /**
   * Set when the caller needs one version only (a rollout asking for its release): a plugin
   * may resolve and verify just that one, returning at most it. The checker does not persist
   * the state of such a check.
   */
  only?: string;
}

/** What a plugin returns from one check. */
export interface SourceCheckResult {
  /** Every release the source currently offers (the checker filters and classifies). */
  releases: SourceRelease[];
  /** State to persist for the next check. */
  state: Record<string, unknown>;
  /** True when a conditional request said nothing changed (releases then repeats the last known list or is empty). */
  notModified?: boolean;
}

/** A release source plugin; one folder per plugin under sources/, listed in sources/registry.ts. */
export interface ReleaseSourcePlugin<C = Record<string, unknown>> {
  /** Plugin id, equal to its folder name. */
  readonly id: string;
  /** Validates the per-component source settings. */
  readonly configSchema: z.ZodType<C>;
  /** Checks the source. Throws SourceCheckError for every failure; nothing is believed from a failed check. */
  check(ctx: SourceCheckContext<C>): Promise<SourceCheckResult>;
}

/** Why a check failed; carried in `check.failed` events. */
export const SourceErrorCode = {
  Unreachable: 'SOURCE_UNREACHABLE',
  Timeout: 'SOURCE_TIMEOUT',
  BadData: 'SOURCE_BAD_DATA',
  MetadataExpired: 'METADATA_EXPIRED',
  MetadataRollback: 'METADATA_ROLLBACK',
  BadSignature: 'METADATA_BAD_SIGNATURE',
  TargetMismatch: 'TARGET_MISMATCH',
  Misconfigured: 'SOURCE_MISCONFIGURED',
} as const;
export type SourceErrorCode = (typeof SourceErrorCode)[keyof typeof SourceErrorCode];

/** A failed source check. The message says what went wrong and what to look at. */
export class SourceCheckError extends CodedError<SourceErrorCode> {
  override name = 'SourceCheckError';
}
