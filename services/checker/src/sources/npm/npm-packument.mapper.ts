import { formatIssues, type Channel } from '@lockstep/contracts';
import { semverScheme } from '@lockstep/versioning';
import * as semver from 'semver';
import { z } from 'zod';
import { SourceCheckError, SourceErrorCode } from '../release-source';

/** One publishable version read from the package document, before its tarball is hashed. */
export interface PackumentVersion {
  version: string;
  channel: Channel;
  security: boolean;
  hotfix: boolean;
  breaking: boolean;
  notes: string;
  /** `dist.tarball`. */
  tarball: string;
  /** `dist.integrity` (SRI), when published. */
  integrity?: string;
  /** `dist.shasum` (hex sha1), when published. */
  shasum?: string;
}

const Packument = z.object({
  name: z.string(),
  'dist-tags': z.record(z.string(), z.string()).optional(),
  versions: z.record(z.string(), z.unknown()),
});

const Manifest = z.object({
  version: z.string(),
  dist: z.object({
    tarball: z.url({ protocol: /^https?$/ }),
    integrity: z.string().optional(),
    shasum: z.string().optional(),
  }),
  deprecated: z.unknown().optional(),
  /** Our own package.json field: `{ "lockstep": { "security": true, "notes": "…" } }`. */
  lockstep: z.unknown().optional(),
});

/** dist-tag names that place a pre-release on a channel; `latest` and stable versions are always `stable`. */
const TAG_CHANNELS: Record<string, Channel> = {
  beta: 'beta',
  next: 'beta',
  rc: 'beta',
  alpha: 'alpha',
  canary: 'alpha',
  experimental: 'alpha',
  nightly: 'alpha',
  dev: 'alpha',
};

/** First pre-release identifier of an untagged pre-release (`2.0.0-alpha.3` -> `alpha`) that says alpha. */
const ALPHA_IDENTIFIER = /^(alpha|canary|dev|nightly|experimental|snapshot|insiders)/i;

/**
 * The channel of one version:
 * - `latest`, or not a pre-release: `stable`;
 * - a pre-release some dist-tag points at: that tag's channel (beta/next/rc -> beta,
 *   alpha/canary/experimental/nightly/dev -> alpha; the most stable wins when several do);
 * - any other pre-release: `alpha` when its first identifier says so (older alphas keep no
 *   tag once a newer one takes it, and must not leak to beta subscribers), else `beta`.
 */
export function releaseChannelOf(version: string, tags: readonly string[]): Channel {
  if (tags.includes('latest') || !semverScheme.isPrerelease(version)) return 'stable';
  const tagged = tags.map((t) => TAG_CHANNELS[t.toLowerCase()]).filter((c): c is Channel => c !== undefined);
  if (tagged.includes('beta')) return 'beta';
  if (tagged.includes('alpha')) return 'alpha';
  const first = semver.prerelease(version)?.[0];
  return typeof first === 'string' && ALPHA_IDENTIFIER.test(first) ? 'alpha' : 'beta';
}

const badData = (name: string, what: string) =>
  new SourceCheckError(
    SourceErrorCode.BadData,
    `the registry's document for ${name} ${what}; check that the registry URL points at an npm registry`,
  );

/**
 * Reads a full package document (`GET /<name>` with `accept: application/json`) into the
 * versions worth reporting. Skipped, not failed: version keys that are not strict semver
 * (nothing to compare them with) and deprecated versions (npm's own "do not use").
 * Throws SourceCheckError(SOURCE_BAD_DATA) when the document or a version entry is malformed.
 */
export function readPackument(body: unknown, name: string): PackumentVersion[] {
  const doc = Packument.safeParse(body);
  if (!doc.success) throw badData(name, `is not a package document (${formatIssues(doc.error)})`);
  if (doc.data.name !== name) throw badData(name, `describes another package, ${JSON.stringify(doc.data.name)}`);

  const tagsByVersion = new Map<string, string[]>();
  for (const [tag, version] of Object.entries(doc.data['dist-tags'] ?? {}))
    tagsByVersion.set(version, [...(tagsByVersion.get(version) ?? []), tag]);

  const out: PackumentVersion[] = [];
  for (const [version, raw] of Object.entries(doc.data.versions)) {
    if (!semverScheme.isValid(version)) continue;
    const manifest = Manifest.safeParse(raw);
    if (!manifest.success)
      throw badData(name, `has a malformed entry for ${version} (${formatIssues(manifest.error)})`);
    if (manifest.data.version !== version)
      throw badData(name, `lists version ${version} with a manifest for ${manifest.data.version}`);
    if (typeof manifest.data.deprecated === 'string' && manifest.data.deprecated !== '') continue;
    const meta = (manifest.data.lockstep ?? {}) as Record<string, unknown>;
    const { tarball, integrity, shasum } = manifest.data.dist;
    out.push({
      version,
      channel: releaseChannelOf(version, tagsByVersion.get(version) ?? []),
      // Only a literal `true` counts: published versions are immutable, so a typo must not fail every later check.
      security: meta.security === true,
      hotfix: meta.hotfix === true,
      breaking: meta.breaking === true,
      notes: typeof meta.notes === 'string' ? meta.notes : '',
      tarball,
      ...(integrity === undefined ? {} : { integrity }),
      ...(shasum === undefined ? {} : { shasum }),
    });
  }
  return out.sort((a, b) => semverScheme.compare(a.version, b.version));
}
