import {
  classifyTufFailure,
  fetchFailureBehind,
  FetchFailureKind,
  tufFailureDetail,
  type TufFetchError,
} from '@lockstep/releases';
import { SourceCheckError, SourceErrorCode } from '../release-source';

/** Which step failed: updating metadata (refresh) or verifying an artifact against it. */
export type TufPhase = 'metadata' | 'target';

/** What the mapper needs to know about the failing check. */
export interface TufFailureContext {
  component: string;
  /** Where the metadata is read from (URL or s3://bucket/prefix), for messages. */
  location: string;
  /** The fetcher's last failed download (tuf-js keeps only the message of errors it wraps). */
  lastFailure?: TufFetchError;
  /** Target path being verified in the `target` phase. */
  targetPath?: string;
}

function fromFetchFailure(f: TufFetchError, ctx: TufFailureContext, phase: TufPhase): SourceCheckError {
  const c = ctx.component;
  switch (f.kind) {
    case FetchFailureKind.Timeout:
      return new SourceCheckError(
        SourceErrorCode.Timeout,
        `TUF source of ${c}: ${f.message}. Check that the source is up and not overloaded, or raise timeoutMs`,
        { cause: f },
      );
    case FetchFailureKind.Unreachable:
      return new SourceCheckError(
        SourceErrorCode.Unreachable,
        `TUF source of ${c} is unreachable: ${f.message}. Check the URL or S3 endpoint, credentials and the network from the checker`,
        { cause: f },
      );
    case FetchFailureKind.NotFound:
      if (phase === 'metadata' && f.url.endsWith('/timestamp.json')) {
        return new SourceCheckError(
          SourceErrorCode.Misconfigured,
          `TUF source of ${c} has no timestamp.json at ${ctx.location} (${f.message}). Check metadataUrl / prefix and that the component has been published`,
          { cause: f },
        );
      }
      return new SourceCheckError(
        SourceErrorCode.BadData,
        `TUF source of ${c} lacks a file its signed metadata lists: ${f.message}. The repository at ${ctx.location} is incomplete; check targetsUrl / artifactsPrefix, or re-publish`,
        { cause: f },
      );
    default:
      return new SourceCheckError(
        SourceErrorCode.Misconfigured,
        `TUF source of ${c} refused a download: ${f.message}. Check access rights and the configured URLs`,
        { cause: f },
      );
  }
}

/**
 * Turns anything tuf-js or a fetcher threw into the SourceCheckError the checker reports in
 * `check.failed`. Messages name what happened and what the operator should check.
 */
export function toSourceCheckError(err: unknown, phase: TufPhase, ctx: TufFailureContext): SourceCheckError {
  if (err instanceof SourceCheckError) return err;
  const fetchFailure = fetchFailureBehind(err, ctx.lastFailure);
  if (fetchFailure) return fromFetchFailure(fetchFailure, ctx, phase);
  const c = ctx.component;
  const detail = tufFailureDetail(err);
  switch (classifyTufFailure(err)) {
    case 'expired':
      return new SourceCheckError(
        SourceErrorCode.MetadataExpired,
        `TUF metadata of ${c} at ${ctx.location} has expired (${detail}). Give the checker the online key file (LOCKSTEP_TUF_ONLINE_KEYS_FILE) so it re-signs the timestamp by itself, or run \`lockstep release refresh --component ${c}\`; also check this host's clock. Nothing from this source is believed meanwhile`,
        { cause: err },
      );
    case 'rollback':
      return new SourceCheckError(
        SourceErrorCode.MetadataRollback,
        `TUF metadata of ${c} at ${ctx.location} is older than what this checker already trusts (${detail}). The source was rolled back or replays old files; check the bucket or mirror. Nothing from it is believed until it serves newer metadata`,
        { cause: err },
      );
    case 'signature':
      return new SourceCheckError(
        SourceErrorCode.BadSignature,
        `TUF metadata of ${c} at ${ctx.location} is not signed by the keys the trusted root names (${detail}). Check that the publisher uses the key file that created this component's root and that trustedRoot is the right root.json`,
        { cause: err },
      );
    case 'mismatch':
      if (phase === 'target') {
        return new SourceCheckError(
          SourceErrorCode.TargetMismatch,
          `artifact ${ctx.targetPath ?? ''} of ${c} does not match its signed hash/length (${detail}). It was changed or corrupted after publishing; restore or re-publish it. Do not install it`,
          { cause: err },
        );
      }
      return new SourceCheckError(
        SourceErrorCode.BadData,
        `TUF metadata of ${c} at ${ctx.location} does not match the hash/length its parent metadata signed (${detail}). A file was replaced or is being rewritten; check the repository`,
        { cause: err },
      );
    default:
      return new SourceCheckError(
        SourceErrorCode.BadData,
        `TUF source of ${c} at ${ctx.location} served metadata the TUF client rejected (${detail}). Check the files under ${ctx.location}`,
        { cause: err },
      );
  }
}
