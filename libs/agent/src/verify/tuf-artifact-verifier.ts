import {
  classifyTufFailure,
  exceededSizeLimit,
  fetchFailureBehind,
  HttpFetcher,
  ObjectStoreFetcher,
  ReleaseTargetCustom,
  targetPathFor,
  tufFailureDetail,
  tufPrefixFor,
  type RecordingFetcher,
} from '@lockstep/releases';
import type { GuardedFetch } from '@lockstep/net-guard';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { parseS3Uri, type ObjectStoreFor } from '../download/artifact-downloader';
import { AgentErrorCode, InstallStepError } from '../errors';
import { checkRootChain, MAX_ROOT_BYTES, RootChainError } from './root-chain';

/** Settings of the agent's TUF verification. */
export interface TufVerifierOptions {
  /** The pinned root.json of the component (AGENT_TRUSTED_ROOT). */
  pinnedRoot: Buffer;
  /** Where trusted metadata is kept between installs (rollback protection across restarts). */
  stateDir: string;
  storeFor: ObjectStoreFor;
  /** Metadata base URL (s3://bucket/prefix/ or http(s)://…/); default: the artifact's bucket, components/<component>/tuf/. */
  metadataUrl?: string;
  /** Per-download timeout. */
  timeoutMs: number;
  /** The destination-guarded fetch for http(s) metadata. */
  fetch: GuardedFetch;
}

/** An artifact as downloaded. */
export interface ArtifactFacts {
  sha256: string;
  length: number;
}

const fail = (code: AgentErrorCode, message: string, cause?: unknown) =>
  new InstallStepError(code, message, { step: 'verifying', cause });
const withSlash = (s: string) => (s.endsWith('/') ? s : `${s}/`);

/**
 * Verifies a downloaded artifact against the component's TUF repository, starting from the
 * pinned root: metadata must chain from it, be unexpired and not older than what this node
 * trusted before (kept under state/tuf/<component>/), and the signed target of the version
 * must have the artifact's exact sha256 and length. Uses tuf-js and the fetchers shared with
 * the checker (@lockstep/releases).
 */
export class TufArtifactVerifier {
  private readonly pinnedDigest: string;

  constructor(private readonly options: TufVerifierOptions) {
    this.pinnedDigest = createHash('sha256').update(options.pinnedRoot).digest('hex');
  }

  async verify(
    component: string,
    version: string,
    artifactUri: string,
    artifact: ArtifactFacts,
    signal?: AbortSignal,
  ): Promise<void> {
    const { metadataBaseUrl, fetcher } = this.locate(component, artifactUri, signal ?? new AbortController().signal);
    const metadataDir = await this.trustedDir(component);
    await this.checkKeptRoot(metadataDir, metadataBaseUrl, fetcher);
    let updater: Updater;
    try {
      updater = new Updater({ metadataDir, metadataBaseUrl, fetcher, config: { prefixTargetsWithHash: false } });
    } catch (err) {
      throw fail(
        AgentErrorCode.TufNotConfigured,
        `AGENT_TRUSTED_ROOT is not a valid self-signed TUF root (${(err as Error).message}); pin the root.json the publisher created`,
        err,
      );
    }
    const targetPath = targetPathFor(component, version);
    const info = await this.guard(component, metadataBaseUrl, fetcher, async () => {
      await updater.refresh();
      return updater.getTargetInfo(targetPath);
    });
    if (!info) {
      throw fail(
        AgentErrorCode.TufUnknownTarget,
        `the signed TUF metadata of ${component} at ${metadataBaseUrl} lists no target ${targetPath}; ${version} was not published for ${component}. Not installed`,
      );
    }
    const custom = ReleaseTargetCustom.safeParse(info.custom);
    if (info.hashes.sha256 !== artifact.sha256 || info.length !== artifact.length) {
      throw fail(
        AgentErrorCode.TufTargetMismatch,
        `artifact ${artifactUri} (sha256 ${artifact.sha256}, ${artifact.length} bytes) does not match its TUF-signed target ${targetPath} (sha256 ${info.hashes.sha256}, ${info.length} bytes); it was changed after publishing. Not installed`,
      );
    }
    if (!custom.success || custom.data.version !== version) {
      throw fail(
        AgentErrorCode.TufTargetMismatch,
        `TUF target ${targetPath} is signed for version ${custom.success ? custom.data.version : '(none)'}, not ${version}. Not installed`,
      );
    }
  }

  /**
   * Throws (step preflight, before any download) when this node cannot find TUF metadata for
   * the artifact: an http(s) artifact while AGENT_TUF_METADATA_URL is not set.
   */
  assertCovers(component: string, artifactUri: string): void {
    this.metadataBaseFor(component, artifactUri, 'preflight');
  }

  private metadataBaseFor(component: string, artifactUri: string, step: 'preflight' | 'verifying'): string {
    const s3Artifact = parseS3Uri(artifactUri);
    const base = this.options.metadataUrl
      ? withSlash(this.options.metadataUrl)
      : s3Artifact
        ? `s3://${s3Artifact.bucket}/${tufPrefixFor(component)}`
        : undefined;
    if (!base)
      throw new InstallStepError(
        AgentErrorCode.TufNotConfigured,
        `artifact ${artifactUri} is not in S3 and AGENT_TUF_METADATA_URL is not set, so nothing but the command's own sha256 could vouch for it; set AGENT_TUF_METADATA_URL to the component's TUF metadata URL. Nothing was downloaded`,
        { step },
      );
    return base;
  }

  private locate(
    component: string,
    artifactUri: string,
    signal: AbortSignal,
  ): { metadataBaseUrl: string; fetcher: RecordingFetcher } {
    const base = this.metadataBaseFor(component, artifactUri, 'verifying');
    const s3 = parseS3Uri(`${base}x`);
    if (s3)
      return {
        metadataBaseUrl: base,
        fetcher: new ObjectStoreFetcher(this.options.storeFor(s3.bucket), this.options.timeoutMs, signal),
      };
    const timestampUrl = new URL('timestamp.json', base).toString();
    return {
      metadataBaseUrl: base,
      fetcher: new HttpFetcher(this.options.timeoutMs, signal, { timestampUrl }, 'lockstep-agent', this.options.fetch),
    };
  }

  /** state/tuf/<component>/, reset to the pinned root when the operator pins another one. */
  private async trustedDir(component: string): Promise<string> {
    const dir = join(this.options.stateDir, 'tuf', component);
    const digestFile = join(dir, 'pinned-root.sha256');
    const known = await readFile(digestFile, 'utf8').catch(() => '');
    if (known.trim() !== this.pinnedDigest) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'root.json'), this.options.pinnedRoot);
      await writeFile(digestFile, `${this.pinnedDigest}\n`);
    }
    return dir;
  }

  /**
   * The root.json kept in the state directory must still chain from the pinned root: tuf-js
   * trusts whatever root it finds there, so a swapped one would bring its own keys.
   */
  private async checkKeptRoot(dir: string, metadataBaseUrl: string, fetcher: RecordingFetcher): Promise<void> {
    const kept = await readFile(join(dir, 'root.json')).catch(() => undefined);
    try {
      if (!kept) throw new RootChainError('it is missing');
      await checkRootChain(this.options.pinnedRoot, kept, (version) =>
        fetcher.downloadBytes(`${metadataBaseUrl}${version}.root.json`, MAX_ROOT_BYTES),
      );
    } catch (err) {
      if (!(err instanceof RootChainError))
        throw fail(
          AgentErrorCode.TufUnavailable,
          `cannot read the root versions at ${metadataBaseUrl} that link the kept root.json to the pinned one: ${(err as Error).message}. Not installed`,
          err,
        );
      throw fail(
        AgentErrorCode.TufRootChainBroken,
        `the root.json this node keeps in ${dir} does not chain from the pinned root (AGENT_TRUSTED_ROOT): ${err.message}. It was swapped or altered on this node: find out how, then remove ${dir} so the agent starts again from the pinned root. Not installed`,
        err,
      );
    }
  }

  private async guard<T>(
    component: string,
    location: string,
    fetcher: RecordingFetcher,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const fetchFailure = fetchFailureBehind(err, fetcher.lastFailure);
      if (fetchFailure)
        throw fail(
          AgentErrorCode.TufUnavailable,
          `cannot read TUF metadata at ${location}: ${fetchFailure.message}. Check AGENT_TUF_METADATA_URL / the S3 settings and that the component is published`,
          err,
        );
      const detail = tufFailureDetail(err);
      switch (classifyTufFailure(err)) {
        case 'expired':
          throw fail(
            AgentErrorCode.TufExpired,
            `TUF metadata at ${location} has expired (${detail}): a frozen mirror, or nobody re-signed it (the checker does with LOCKSTEP_TUF_ONLINE_KEYS_FILE; by hand: \`lockstep release refresh --component ${component}\`); also check this node's clock. Not installed`,
            err,
          );
        case 'rollback':
          throw fail(
            AgentErrorCode.TufRollback,
            `TUF metadata at ${location} is older than what this node already trusts (${detail}); the repository was rolled back or replays old files. Not installed`,
            err,
          );
        case 'signature':
          throw fail(
            AgentErrorCode.TufBadSignature,
            `TUF metadata at ${location} is not signed by the keys the pinned root names (${detail}); check the publisher's keys and AGENT_TRUSTED_ROOT. Not installed`,
            err,
          );
        case 'mismatch':
          if (exceededSizeLimit(err))
            throw fail(
              AgentErrorCode.TufBadMetadata,
              `a TUF metadata file at ${location} is larger than the size limit for its role (${detail}); the source serves an oversized or endless body. Not installed`,
              err,
            );
          throw fail(
            AgentErrorCode.TufBadMetadata,
            `a TUF metadata file at ${location} does not match what the signed snapshot pins (${detail}): files of different versions are being mixed, or one was replaced. Not installed`,
            err,
          );
        default:
          throw fail(
            AgentErrorCode.TufBadMetadata,
            `TUF metadata at ${location} was rejected (${detail}). Not installed`,
            err,
          );
      }
    }
  }
}
