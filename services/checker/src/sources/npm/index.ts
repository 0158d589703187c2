/**
 * The `npm` release source: versions of one package in an npm registry.
 *
 * Choices, in short:
 * - One GET of the full package document (`accept: application/json`; the abbreviated
 *   install format has neither custom fields nor everything in `dist`). It is conditional
 *   (If-None-Match / If-Modified-Since from the last 200); a 304 repeats the releases kept
 *   in state. State that belongs to another document URL (package or registry changed) or
 *   that does not parse is dropped, and the check starts afresh.
 * - Artifacts: the contract needs a sha256 and a length, and the registry offers neither
 *   (`dist.integrity` is sha512 nearly always; `unpackedSize` is the unpacked size). So each
 *   tarball is downloaded once, bounded by `maxTarballBytes`, checked against the strongest
 *   digest the registry publishes (`dist.integrity`, else the sha1 `dist.shasum`), and its
 *   sha256 and length are kept in state by version; later checks only download new
 *   versions. A mismatch fails the whole check with TARGET_MISMATCH.
 * - A version with no published digest at all is skipped, unless `allowUnverified` is set:
 *   then its sha256 rests on the (TLS) download alone.
 * - Skipped as well: deprecated versions, and version keys that are not strict semver.
 * - Channels from dist-tags (see `releaseChannelOf`); flags and notes from the `lockstep` field of
 *   the version's package.json (`{ "security": true, "hotfix": true, "breaking": true,
 *   "notes": "…" }`), false / '' when absent.
 * - Every failure is a SourceCheckError: unreachable, 5xx and 429 -> SOURCE_UNREACHABLE;
 *   `timeoutMs` per request or the check's signal -> SOURCE_TIMEOUT; non-JSON or malformed
 *   documents -> SOURCE_BAD_DATA; 404 and 401/403 -> SOURCE_MISCONFIGURED.
 */
import { SourceCheckError, SourceErrorCode, type ReleaseSourcePlugin, type SourceRelease } from '../release-source';
import { expectedDigest, matchesDigest, sha256Hex } from './npm-integrity';
import { readPackument, type PackumentVersion } from './npm-packument.mapper';
import { NpmRegistryClient, type RequestOptions } from './npm-registry.client';
import { DEFAULT_TIMEOUT_MS, NpmSourceConfig, packumentUrl } from './npm-source.config';
import { readState, writeState, type StoredDigest } from './npm-source.state';

export { NpmSourceConfig } from './npm-source.config';
export { NpmRegistryClient } from './npm-registry.client';

/** Tarballs downloaded at once on a check that finds new versions. */
const DOWNLOAD_CONCURRENCY = 4;

/** Builds the npm source; the client is a parameter so tests can point it elsewhere. */
export function createNpmSource(
  client: NpmRegistryClient = new NpmRegistryClient(),
): ReleaseSourcePlugin<NpmSourceConfig> {
  return {
    id: 'npm',
    configSchema: NpmSourceConfig,

    async check(ctx) {
      const { config } = ctx;
      const url = packumentUrl(config.registry, config.package);
      const request: RequestOptions = {
        signal: ctx.signal,
        timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        fetch: ctx.fetch,
      };
      const previous = readState(ctx.state, url);

      const validators = previous ? { etag: previous.etag, lastModified: previous.lastModified } : {};
      const res = await client.getDocument(url, validators, request);
      if (res.notModified) {
        if (!previous) {
          throw new SourceCheckError(
            SourceErrorCode.BadData,
            `${url} answered 304 Not Modified to an unconditional request; check what sits between the checker and the registry`,
          );
        }
        const state = {
          ...previous,
          etag: res.etag ?? previous.etag,
          lastModified: res.lastModified ?? previous.lastModified,
        };
        return { notModified: true, releases: previous.lastReleases, state: writeState(state) };
      }

      const versions = readPackument(res.body, config.package);
      const digests = await hashTarballs(client, config, versions, previous?.digests ?? {}, request);
      const releases = versions.flatMap((v) => (digests[v.version] ? [toRelease(v, digests[v.version])] : []));
      return {
        releases,
        state: writeState({ url, etag: res.etag, lastModified: res.lastModified, lastReleases: releases, digests }),
      };
    },
  };
}

/** The npm release source plugin. */
export const npmSource = createNpmSource();

/** What identifies the published digest of a version, so a cached hash is reused only while it still applies. */
const digestKey = (v: PackumentVersion): string => v.integrity ?? (v.shasum ? `sha1:${v.shasum}` : '');

/**
 * sha256 and length of every reportable version's tarball: cached ones reused, the others
 * downloaded and verified. Versions without a published digest are left out unless
 * `allowUnverified`. The first failure aborts the other downloads and fails the check.
 */
async function hashTarballs(
  client: NpmRegistryClient,
  config: NpmSourceConfig,
  versions: PackumentVersion[],
  cache: Record<string, StoredDigest>,
  request: RequestOptions,
): Promise<Record<string, StoredDigest>> {
  const result: Record<string, StoredDigest> = {};
  const todo: PackumentVersion[] = [];
  for (const v of versions) {
    const key = digestKey(v);
    if (key === '' && !config.allowUnverified) continue;
    const cached = cache[v.version];
    if (cached && cached.tarball === v.tarball && cached.integrity === key) result[v.version] = cached;
    else todo.push(v);
  }

  const stop = new AbortController();
  const signal = AbortSignal.any([request.signal, stop.signal]);
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    for (let v = todo.shift(); v && !failure; v = todo.shift()) {
      try {
        result[v.version] = await hashOne(client, config, v, { ...request, signal });
      } catch (err) {
        failure ??= { error: err };
        stop.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOAD_CONCURRENCY, todo.length) }, worker));
  if (failure) throw failure.error;
  return result;
}

async function hashOne(
  client: NpmRegistryClient,
  config: NpmSourceConfig,
  v: PackumentVersion,
  request: RequestOptions,
): Promise<StoredDigest> {
  const data = await client.getTarball(v.tarball, config.maxTarballBytes, request);
  const expected = expectedDigest(v);
  if (expected && !matchesDigest(data, expected)) {
    throw new SourceCheckError(
      SourceErrorCode.TargetMismatch,
      `the tarball of ${config.package}@${v.version} (${v.tarball}) does not match the ${expected.algorithm} digest the registry publishes; ` +
        'something between the registry and the checker serves a different file: do not install it, investigate',
    );
  }
  return { tarball: v.tarball, integrity: digestKey(v), sha256: sha256Hex(data), length: data.length };
}

function toRelease(v: PackumentVersion, digest: StoredDigest): SourceRelease {
  return {
    version: v.version,
    channel: v.channel,
    security: v.security,
    hotfix: v.hotfix,
    breaking: v.breaking,
    notes: v.notes,
    artifact: { uri: v.tarball, sha256: digest.sha256, length: digest.length },
  };
}
