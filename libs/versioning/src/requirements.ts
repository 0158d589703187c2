import type { Requirements } from '@lockstep/contracts';
import { getScheme } from './schemes/registry';

/**
 * True when `version` lies in `range` read by the scheme `schemeId` (semver: any semver range;
 * abr: `>=VERSION`). Throws `UnknownVersionSchemeError`, `InvalidVersionError` or
 * `InvalidVersionRangeError` when the scheme, version or range cannot be read.
 */
export function satisfies(schemeId: string, version: string, range: string): boolean {
  return getScheme(schemeId).satisfies(version, range);
}

/**
 * Returns `range` when the scheme `schemeId` can read it; throws `InvalidVersionRangeError`
 * naming the forms it reads otherwise (a registration checks each range against the scheme of
 * the component it names).
 */
export function checkRange(schemeId: string, range: string): string {
  return getScheme(schemeId).validateRange(range);
}

/** What runs of one component: its version (null when unknown) and its version scheme id. */
export interface RunningComponent {
  /** The version it counts as running; null when not known. */
  version: string | null;
  /** Its version scheme id (`semver`, `abr`). */
  scheme: string;
}

/** A requirement that what runs does not meet, with a sentence that says why. */
export interface UnmetRequirement {
  /** The required component. */
  component: string;
  /** The range its running version must satisfy. */
  range: string;
  /** What it runs; null when it is not registered or its version is not known. */
  running: string | null;
  /** Why, as a sentence: `needs config >=2.0.0, which runs 1.5.0`. */
  reason: string;
}

/**
 * The requirements in `requires` that what runs does not meet, in the order of the component
 * names. A required component that is not in `running`, runs no known version, or whose scheme
 * cannot read the range counts as unmet (with its reason), never as met, and nothing throws:
 * an update that needs it waits and says why.
 */
export function unmetRequirements(
  requires: Readonly<Requirements>,
  running: ReadonlyMap<string, RunningComponent>,
): UnmetRequirement[] {
  const unmet: UnmetRequirement[] = [];
  for (const component of Object.keys(requires).sort()) {
    const range = requires[component];
    const needs = `needs ${component} ${range}`;
    const what = running.get(component);
    if (!what) {
      unmet.push({ component, range, running: null, reason: `${needs}, which is not registered` });
      continue;
    }
    if (what.version === null) {
      unmet.push({ component, range, running: null, reason: `${needs}, whose running version is not known yet` });
      continue;
    }
    try {
      if (satisfies(what.scheme, what.version, range)) continue;
      unmet.push({ component, range, running: what.version, reason: `${needs}, which runs ${what.version}` });
    } catch (err) {
      unmet.push({
        component,
        range,
        running: what.version,
        reason: `${needs}, which runs ${what.version}, and the range cannot be checked: ${(err as Error).message}`,
      });
    }
  }
  return unmet;
}
