import { UnknownVersionSchemeError } from '../errors';
import type { VersionScheme } from '../version-scheme';
import { abrScheme } from './abr';
import { semverScheme } from './semver';

/** Every version scheme, by id; one folder per scheme next to this file (a spec checks they agree). */
const SCHEMES: ReadonlyMap<string, VersionScheme> = new Map([semverScheme, abrScheme].map((s) => [s.id, s]));

/** Scheme used when a component does not name one. */
export const DEFAULT_SCHEME_ID = semverScheme.id;

/** Ids of every registered version scheme, sorted. */
export function schemeIds(): string[] {
  return [...SCHEMES.keys()].sort();
}

/** The scheme with this id; throws `UnknownVersionSchemeError` listing the valid ids when there is none. */
export function getScheme(id: string): VersionScheme {
  // A Map, not an object literal, so ids like `constructor` or `__proto__` cannot hit the prototype.
  const scheme = typeof id === 'string' ? SCHEMES.get(id) : undefined;
  if (!scheme) throw new UnknownVersionSchemeError(id, schemeIds());
  return scheme;
}
