import * as semver from 'semver';
import { z } from 'zod';

/**
 * A lower bound any version scheme can read: `>=VERSION`. Schemes without ranges of their
 * own (abr) understand only this form; semver components take every semver range. VERSION starts with a digit in every scheme.
 */
const AT_LEAST = /^>=\s*([0-9]\S*)$/;

/** The version a `>=VERSION` range names, or null when the range is not of that form. */
export function atLeastVersion(range: string): string | null {
  return AT_LEAST.exec(range.trim())?.[1] ?? null;
}

/**
 * True when `range` can be a requirement of some version scheme: a semver range (`>=2.0.0`,
 * `^1.4`, `>=2.0 <3`) or `>=VERSION` (the only form the abr scheme understands, `>=1r2`).
 * Whether it fits the required component's scheme is checked where that scheme is known
 * (`checkRange` of @lockstep/versioning, at registration).
 */
export function isVersionRangeText(range: string): boolean {
  if (typeof range !== 'string' || range.trim() === '' || range.length > 200) return false;
  return semver.validRange(range) !== null || atLeastVersion(range) !== null;
}

const componentName = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** A version range a requirement names: `>=2.0.0`, `^1.4`, `>=2.0 <3` (semver), `>=1r2` (abr). */
export const VersionRange = z
  .string()
  .refine(isVersionRangeText, {
    message: 'not a version range; use a semver range such as >=2.0.0, ^1.4 or ">=2.0 <3", or >=VERSION for abr',
  })
  .describe('a version range: a semver range (>=2.0.0, ^1.4, ">=2.0 <3") or >=VERSION (the only form abr knows)');

/**
 * What a component needs of others: component name → version range that the version that
 * component runs must satisfy, e.g. `{ "config": ">=2.0.0" }`. Declared at registration and in
 * a release's signed metadata; updates are carried out in the order these requirements give.
 */
export const Requirements = z
  .record(
    z.string().regex(componentName, 'required component names are lowercase letters, digits, dot, dash, underscore'),
    VersionRange,
  )
  .refine((r) => Object.keys(r).length <= 64, { message: 'at most 64 requirements' })
  .describe('what the component needs of others: component name → version range, e.g. {"config": ">=2.0.0"}');
export type Requirements = z.infer<typeof Requirements>;

/** Codes of the checker's refusals of a registration whose requirements cannot hold. */
export const RequirementErrorCode = {
  /** The requirements would make components depend on each other in a cycle; the message names it. */
  DependencyCycle: 'DEPENDENCY_CYCLE',
  /** A requirement names a component that is not registered; the message lists the registered ones. */
  UnknownComponent: 'REQUIREMENT_UNKNOWN_COMPONENT',
  /** A range the required component's version scheme cannot read (abr knows `>=VERSION` only). */
  InvalidRange: 'REQUIREMENT_RANGE_INVALID',
} as const;
export type RequirementErrorCode = (typeof RequirementErrorCode)[keyof typeof RequirementErrorCode];
