import { formatIssues } from '@lockstep/contracts';
import {
  artifactsPrefixFor,
  HttpFetcher,
  ObjectStoreFetcher,
  ReleaseTargetCustom,
  targetPathFor,
  tufPrefixFor,
  type RecordingFetcher,
} from '@lockstep/releases';
import type { TargetFile } from 'tuf-js';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import {
  SourceCheckError,
  SourceErrorCode,
  type ReleaseSourcePlugin,
  type SourceCheckContext,
  type SourceCheckResult,
  type SourceRelease,
} from '../release-source';
import { toSourceCheckError, type TufPhase } from './tuf-error-mapper';
import { decodeTrustedRoot, TufSourceConfig } from './tuf-source.config';
import {
  digestOf,
  materializeTrusted,
  readPriorState,
  readTrusted,
  type PriorState,
  type TufSourceState,
} from './tuf-trusted-state';

export { TufSourceConfig } from './tuf-source.config';
export { TufSourceState } from './tuf-trusted-state';

/** Where one check reads from. */
interface Location {
  metadataBaseUrl: string;
  targetBaseUrl: string;
  fetcher: RecordingFetcher;
  /** URI of a target's artifact as reported in releases. */
  artifactUri(targetPath: string): string;
}

const withSlash = (s: string): string => (s.endsWith('/') ? s : `${s}/`);

/**
 * Release source reading a TUF repository (the layout `lockstep release publish` writes) with
 * tuf-js: metadata must chain from the pinned root, be unexpired and not older than what was
 * trusted before, and every new artifact is downloaded once and checked against its signed
 * hash and length. Any failure fails the whole check; nothing is believed from it.
 */
export class TufReleaseSource implements ReleaseSourcePlugin<TufSourceConfig> {
  readonly id = 'tuf';
  readonly configSchema = TufSourceConfig;

  /** Runs one check; throws SourceCheckError (see SourceErrorCode) on every failure. */
  async check(ctx: SourceCheckContext<TufSourceConfig>): Promise<SourceCheckResult> {
    const pinnedRoot = decodeTrustedRoot(ctx.config.trustedRoot);
    const pinnedDigest = digestOf(pinnedRoot);
    const prior = readPriorState(ctx.state, pinnedDigest);
    const where = this.locate(ctx, prior);
    const metadataDir = join(ctx.workDir, 'tuf-metadata');
    const targetDir = join(ctx.workDir, 'tuf-targets');
    await materializeTrusted(metadataDir, pinnedRoot, prior.trusted);
    await mkdir(targetDir, { recursive: true });
    const failure = { component: ctx.component, location: where.metadataBaseUrl };
    const step = async <T>(phase: TufPhase, fn: () => Promise<T>, targetPath?: string): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        throw toSourceCheckError(err, phase, { ...failure, targetPath, lastFailure: where.fetcher.lastFailure });
      }
    };

    const updater = this.createUpdater(metadataDir, where, ctx.component);
    await step('metadata', () => updater.refresh());
    const trusted = await readTrusted(metadataDir);
    const releases: SourceRelease[] = [];
    const verified: Record<string, string> = {};
    // One release asked for: its target under the name `lockstep release publish` gives it is resolved
    // alone; a repository that names targets otherwise is searched, the others' artifacts left unread.
    const all = targetPathsIn(trusted['targets.json']);
    const named = ctx.only === undefined ? undefined : targetPathFor(ctx.component, ctx.only);
    const paths = named !== undefined && all.includes(named) ? [named] : all;
    for (const path of paths) {
      const info = await step('metadata', async () => {
        const found = await updater.getTargetInfo(path);
        if (!found)
          throw new SourceCheckError(
            SourceErrorCode.BadData,
            `TUF target ${path} of ${ctx.component} is listed but cannot be resolved; check the targets metadata at ${where.metadataBaseUrl}`,
          );
        return found;
      });
      const { release, sha256 } = this.toRelease(ctx.component, info, where, failure.location);
      if (ctx.only !== undefined && release.version !== ctx.only) continue;
      if (prior.verified[path] !== sha256) {
        const file = join(targetDir, `${releases.length}.download`);
        await step('target', () => updater.downloadTarget(info, file), path);
        await rm(file, { force: true });
      }
      verified[path] = sha256;
      releases.push(release);
    }

    const state: TufSourceState = { pinnedRoot: pinnedDigest, trusted, verified, etag: where.fetcher.timestampEtag };
    return { releases, state, notModified: where.fetcher.notModified };
  }

  private locate(ctx: SourceCheckContext<TufSourceConfig>, prior: PriorState): Location {
    const config = ctx.config;
    if (config.mode === 'http') {
      const metadataBaseUrl = withSlash(config.metadataUrl);
      const targetBaseUrl = withSlash(config.targetsUrl);
      const conditional = {
        timestampUrl: new URL('timestamp.json', metadataBaseUrl).toString(),
        etag: prior.etag,
        trustedTimestamp: prior.trusted['timestamp.json'],
      };
      return {
        metadataBaseUrl,
        targetBaseUrl,
        fetcher: new HttpFetcher(config.timeoutMs, ctx.signal, conditional, 'lockstep-checker', ctx.fetch),
        artifactUri: (p) => new URL(p, targetBaseUrl).toString(),
      };
    }
    if (!ctx.objectStore) {
      throw new SourceCheckError(
        SourceErrorCode.Misconfigured,
        `TUF source of ${ctx.component} is in s3 mode but the checker has no object store; configure the checker's S3 settings or use mode "http"`,
      );
    }
    const bucket = ctx.objectStore.bucket;
    const metadataBaseUrl = `s3://${bucket}/${withSlash(config.prefix ?? tufPrefixFor(ctx.component))}`;
    const targetBaseUrl = `s3://${bucket}/${withSlash(config.artifactsPrefix ?? artifactsPrefixFor(ctx.component))}`;
    return {
      metadataBaseUrl,
      targetBaseUrl,
      fetcher: new ObjectStoreFetcher(ctx.objectStore, config.timeoutMs, ctx.signal),
      artifactUri: (p) => `${targetBaseUrl}${p}`,
    };
  }

  private createUpdater(metadataDir: string, where: Location, component: string): Updater {
    try {
      return new Updater({
        metadataDir,
        metadataBaseUrl: where.metadataBaseUrl,
        targetBaseUrl: where.targetBaseUrl,
        fetcher: where.fetcher,
        // Artifacts keep their published names (components/<c>/artifacts/<c>-<v>.tar.gz);
        // each version's bytes never change, so the hash prefix of consistent snapshots adds nothing.
        config: { prefixTargetsWithHash: false },
      });
    } catch (err) {
      throw new SourceCheckError(
        SourceErrorCode.Misconfigured,
        `trustedRoot of ${component} is not a valid self-signed TUF root (${(err as Error).message}); pin the root.json the publisher created`,
        { cause: err },
      );
    }
  }

  private toRelease(
    component: string,
    info: TargetFile,
    where: Location,
    location: string,
  ): { release: SourceRelease; sha256: string } {
    const custom = ReleaseTargetCustom.safeParse(info.custom);
    const sha256 = info.hashes.sha256;
    if (!custom.success || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
      const why = custom.success ? 'no sha256 hash' : formatIssues(custom.error);
      throw new SourceCheckError(
        SourceErrorCode.BadData,
        `TUF target ${info.path} of ${component} at ${location} is not a Lockstep release (${why}). Re-publish it with \`lockstep release publish\``,
      );
    }
    const { version, channel, security, hotfix, breaking, notes, requires } = custom.data;
    return {
      sha256,
      release: {
        version,
        channel,
        security,
        hotfix,
        breaking,
        notes,
        ...(requires ? { requires } : {}),
        artifact: { uri: where.artifactUri(info.path), sha256, length: info.length },
      },
    };
  }
}

/** Target paths of the top-level targets metadata (delegated roles are not used by Lockstep). */
function targetPathsIn(targetsJson: string | undefined): string[] {
  if (!targetsJson) return [];
  const targets = (JSON.parse(targetsJson) as { signed?: { targets?: Record<string, unknown> } }).signed?.targets ?? {};
  return Object.keys(targets).sort();
}

/** The `tuf` release source plugin. */
export const tufSource = new TufReleaseSource();
