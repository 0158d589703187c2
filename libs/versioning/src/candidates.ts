import type { ChangeKind } from '@lockstep/contracts';
import { getScheme } from './schemes/registry';
import type { VersionScheme } from './version-scheme';

/** A scheme, or its registered id. */
export type SchemeRef = VersionScheme | string;

const resolve = (scheme: SchemeRef): VersionScheme => (typeof scheme === 'string' ? getScheme(scheme) : scheme);

/** A release offered as an update, with the flags its metadata declares. */
export interface CandidateInput {
  /** Version scheme of the component (object or id). */
  scheme: SchemeRef;
  /** Version the component runs now; null when unknown. */
  current: string | null;
  candidate: {
    /** The offered version. */
    version: string;
    /** Metadata says the release fixes a security issue. */
    security?: boolean;
    /** Metadata says the release is a hotfix. */
    hotfix?: boolean;
    /** Metadata says the release breaks compatibility. */
    breaking?: boolean;
  };
}

/** How a candidate relates to the running version, plus its declared flags. */
export interface CandidateClassification {
  /** patch / minor / major / prerelease relative to `current`. */
  kind: ChangeKind;
  /** True only when the release metadata says so. */
  security: boolean;
  /** True only when the release metadata says so. */
  hotfix: boolean;
  /** True only when the release metadata says so. */
  breaking: boolean;
}

/**
 * Classifies a candidate against the running version.
 *
 * `kind` comes from the scheme's `classify`. With no current version the step is unknown,
 * so it is reported as the biggest one, `major` (or `prerelease` for a pre-release), which
 * keeps auto-update policies on the cautious side. The flags are taken from the metadata
 * only (`=== true`); nothing is inferred from the version numbers, so a major bump is not
 * assumed to be breaking: policies look at `kind` for that.
 * Throws `InvalidVersionError` when either version does not follow the scheme.
 */
export function classifyCandidate(input: CandidateInput): CandidateClassification {
  const scheme = resolve(input.scheme);
  const { version } = input.candidate;
  const kind: ChangeKind =
    input.current === null
      ? scheme.isPrerelease(version)
        ? 'prerelease'
        : 'major'
      : scheme.classify(input.current, version);
  return {
    kind,
    security: input.candidate.security === true,
    hotfix: input.candidate.hotfix === true,
    breaking: input.candidate.breaking === true,
  };
}

/**
 * The versions strictly newer than `current` (all of them when `current` is null), without
 * duplicates, sorted oldest first. Throws `InvalidVersionError` on the first version that does
 * not follow the scheme: a mismatch usually means the component is set to the wrong scheme,
 * and silently dropping versions would hide that. Filter with `scheme.isValid` first to skip them.
 */
export function newerThan(scheme: SchemeRef, current: string | null, versions: readonly string[]): string[] {
  const s = resolve(scheme);
  if (current !== null) s.validate(current);
  const unique = [...new Set(versions)].map((v) => s.validate(v));
  return unique.filter((v) => current === null || s.compare(v, current) > 0).sort((a, b) => s.compare(a, b));
}
