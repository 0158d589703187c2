import type { ChangeKind } from '@lockstep/contracts';
import * as semver from 'semver';
import { InvalidVersionError, InvalidVersionRangeError } from '../../errors';
import type { VersionScheme } from '../../version-scheme';

const ID = 'semver';
const EXPECTED =
  'MAJOR.MINOR.PATCH with an optional -PRERELEASE and +BUILD, no leading "v" or spaces (e.g. 1.4.2, 2.0.0-rc.1)';

/**
 * Parses strictly: the `semver` package alone accepts `v1.2.3`, `=1.2.3` and surrounding
 * spaces, which would let two spellings of one release travel as different strings. We only
 * accept the canonical spelling (build metadata allowed, since it is part of the spec).
 */
function parse(version: string): semver.SemVer | null {
  if (typeof version !== 'string') return null;
  const parsed = semver.parse(version);
  if (!parsed) return null;
  const canonical = parsed.build.length ? `${parsed.version}+${parsed.build.join('.')}` : parsed.version;
  return canonical === version ? parsed : null;
}

function mustParse(version: string): semver.SemVer {
  const parsed = parse(version);
  if (!parsed) throw new InvalidVersionError(ID, version, EXPECTED);
  return parsed;
}

const RANGE_FORM = 'a semver range (e.g. >=2.0.0, ^1.4, ~1.2.3, ">=2.0 <3")';

/**
 * Maps `semver.diff` onto a ChangeKind once `to` is known not to be a pre-release. diff is
 * direction-free and special-cases leaving a pre-release: 1.0.0-rc.1 -> 1.0.0 is `major`
 * (it is the 1.0.0 release), 1.2.0-rc.1 -> 1.2.0 is `minor`, 1.2.3-rc.1 -> 1.2.3 is `patch`.
 */
const DIFF_TO_KIND: Record<semver.ReleaseType, ChangeKind> = {
  major: 'major',
  premajor: 'major',
  minor: 'minor',
  preminor: 'minor',
  patch: 'patch',
  prepatch: 'patch',
  prerelease: 'patch',
  release: 'patch',
};

/**
 * Semantic Versioning 2.0.0 through the `semver` package; the default scheme.
 *
 * Ordering follows the spec: build metadata is ignored, so `1.0.0+a` and `1.0.0+b` compare
 * equal. classify: a pre-release target is `prerelease`; otherwise `semver.diff` semantics,
 * in either direction; equal versions (or ones differing only in build metadata) are `patch`.
 */
export const semverScheme: VersionScheme = {
  id: ID,
  expectedForm: EXPECTED,

  isValid(version) {
    return parse(version) !== null;
  },

  validate(version) {
    mustParse(version);
    return version;
  },

  compare(a, b) {
    return mustParse(a).compare(mustParse(b));
  },

  isPrerelease(version) {
    return mustParse(version).prerelease.length > 0;
  },

  rangeForm: RANGE_FORM,

  /**
   * `semver.satisfies` with pre-releases included: a requirement asks whether what runs is
   * recent enough, so a running 2.1.0-rc.1 meets `>=2.0.0` (semver's default of leaving
   * pre-releases out is about which releases to offer, not about what already runs).
   */
  satisfies(version, range) {
    const parsed = mustParse(version);
    return semver.satisfies(parsed, this.validateRange(range), { includePrerelease: true });
  },

  validateRange(range) {
    if (typeof range !== 'string' || range.trim() === '' || semver.validRange(range) === null)
      throw new InvalidVersionRangeError(ID, range, RANGE_FORM);
    return range;
  },

  classify(from, to) {
    const a = mustParse(from);
    const b = mustParse(to);
    if (b.prerelease.length > 0) return 'prerelease';
    const diff = semver.diff(a, b);
    return diff === null ? 'patch' : DIFF_TO_KIND[diff];
  },
};
