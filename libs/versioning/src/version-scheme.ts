import type { ChangeKind } from '@lockstep/contracts';

/**
 * A version scheme plugin: how the versions of one component are written, ordered and
 * compared. One folder per scheme under `schemes/`, listed in `schemes/registry.ts`.
 *
 * Every method except `isValid` throws `InvalidVersionError` for a string that does not
 * follow the scheme; nothing is ever silently coerced.
 */
export interface VersionScheme {
  /** Scheme id, equal to its folder name under `schemes/` (`semver`, `abr`). */
  readonly id: string;
  /** Human description of a valid version, with examples; used in error messages. */
  readonly expectedForm: string;
  /** True when `version` follows the scheme exactly. Never throws. */
  isValid(version: string): boolean;
  /** Returns `version` unchanged when valid; throws `InvalidVersionError` naming the scheme and the expected form otherwise. */
  validate(version: string): string;
  /** Orders two versions: -1 when a < b, 0 when they are the same release, 1 when a > b. */
  compare(a: string, b: string): -1 | 0 | 1;
  /** True for pre-releases (semver `-rc.1`, abr stages `a` and `b`). */
  isPrerelease(version: string): boolean;
  /**
   * How big the step from `from` to `to` is. Always `prerelease` when `to` is a pre-release;
   * otherwise the size of the difference, whichever direction it goes (a downgrade from
   * 2.0.0 to 1.9.0 is `major`). Equal versions classify as `patch`, the smallest step.
   */
  classify(from: string, to: string): ChangeKind;
  /** Human description of the version ranges `satisfies` reads, with examples; used in error messages. */
  readonly rangeForm: string;
  /** Returns `range` unchanged when the scheme can read it; throws `InvalidVersionRangeError` naming `rangeForm` otherwise. */
  validateRange(range: string): string;
  /**
   * True when `version` lies in `range` (a requirement such as `>=2.0.0`). Throws
   * `InvalidVersionError` for a version outside the scheme and `InvalidVersionRangeError` for
   * a range the scheme cannot read.
   */
  satisfies(version: string, range: string): boolean;
}
