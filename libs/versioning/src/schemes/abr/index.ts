import { atLeastVersion, type ChangeKind } from '@lockstep/contracts';
import { InvalidVersionError, InvalidVersionRangeError } from '../../errors';
import type { VersionScheme } from '../../version-scheme';

const ID = 'abr';
const EXPECTED =
  '{major}{stage}{minor}: whole numbers without leading zeros around one lowercase stage letter, ' +
  'a (alpha), b (beta) or r (release), and nothing else (e.g. 0a1, 0b1, 0r1, 1r12)';

/** Stage letters in release order; the index is the rank. */
const STAGES = ['a', 'b', 'r'] as const;
type Stage = (typeof STAGES)[number];

interface AbrVersion {
  major: number;
  stage: Stage;
  minor: number;
}

const PATTERN = /^(0|[1-9][0-9]*)([abr])(0|[1-9][0-9]*)$/;

function parse(version: string): AbrVersion | null {
  if (typeof version !== 'string') return null;
  const m = PATTERN.exec(version);
  if (!m) return null;
  const major = Number(m[1]);
  const minor = Number(m[3]);
  // Past 2^53 numbers stop being exact and two different strings could compare equal.
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor)) return null;
  return { major, stage: m[2] as Stage, minor };
}

function mustParse(version: string): AbrVersion {
  const parsed = parse(version);
  if (!parsed) throw new InvalidVersionError(ID, version, EXPECTED);
  return parsed;
}

const RANGE_FORM = '>=VERSION, a lower bound (e.g. >=1r2); abr has no other ranges';

/** The version of a `>=VERSION` range; throws `InvalidVersionRangeError` for anything else. */
function floorOf(range: string): string {
  const floor = typeof range === 'string' ? atLeastVersion(range) : null;
  if (floor === null || !parse(floor)) throw new InvalidVersionRangeError(ID, range, RANGE_FORM);
  return floor;
}

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);

/**
 * `{major}{a|b|r}{minor}`, e.g. `0a1`, `0b1`, `0r1`, `1r12`: alpha, beta and release stages
 * of one numbered release. Ordering compares major, then minor, then stage a < b < r, so
 * `0a1 < 0b1 < 0r1 < 0a2 < … < 0r9 < 1a1`.
 *
 * classify: a target in stage a or b is `prerelease`; otherwise `major` when the majors
 * differ, `minor` when the minors differ, else `patch`. Promoting the same release to its
 * final stage (0b1 -> 0r1) is therefore `patch`: the code barely changes, only its standing.
 * Like semver, the size is direction-free (1r1 -> 0r9 is `major`) and equal versions are `patch`.
 */
export const abrScheme: VersionScheme = {
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
    const x = mustParse(a);
    const y = mustParse(b);
    return (
      sign(x.major - y.major) || sign(x.minor - y.minor) || sign(STAGES.indexOf(x.stage) - STAGES.indexOf(y.stage))
    );
  },

  isPrerelease(version) {
    return mustParse(version).stage !== 'r';
  },

  rangeForm: RANGE_FORM,

  /** Ranges make little sense across stages, so abr reads one form: `>=VERSION`, ordered by `compare`. */
  validateRange(range) {
    floorOf(range);
    return range;
  },

  satisfies(version, range) {
    const floor = floorOf(range);
    return this.compare(version, floor) >= 0;
  },

  classify(from, to): ChangeKind {
    const a = mustParse(from);
    const b = mustParse(to);
    if (b.stage !== 'r') return 'prerelease';
    if (a.major !== b.major) return 'major';
    if (a.minor !== b.minor) return 'minor';
    return 'patch';
  },
};
