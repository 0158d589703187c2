import { RequirementErrorCode, type QueryError, type Requirements } from '@lockstep/contracts';
import { checkRange, DependencyCycleError, findCycleThrough, getScheme, requirementGraph } from '@lockstep/versioning';

/** What the requirements of all components are when a registration is decided. */
export interface RequirementsSnapshot {
  /** Every registered component with its scheme and registered requirements. */
  components: ReadonlyArray<{ name: string; scheme: string; requires: Requirements }>;
  /** Every announced release with what it requires (`{}` for nothing). */
  releases: ReadonlyArray<{ component: string; version: string; requires: Requirements }>;
}

/**
 * The requirements of each component's newest announced release (by its version scheme): what
 * the component will need once it is updated, so it counts in the graph beside its registration.
 */
export function newestReleaseRequirements(snapshot: RequirementsSnapshot): Map<string, Requirements> {
  const schemes = new Map(snapshot.components.map((c) => [c.name, c.scheme]));
  const newest = new Map<string, { version: string; requires: Requirements }>();
  for (const r of snapshot.releases) {
    const scheme = schemes.get(r.component);
    if (!scheme) continue;
    const s = getScheme(scheme);
    if (!s.isValid(r.version)) continue;
    const best = newest.get(r.component);
    if (!best || s.compare(r.version, best.version) > 0) newest.set(r.component, r);
  }
  return new Map([...newest].map(([c, r]) => [c, r.requires]));
}

/**
 * Why a registration of `name` with `requires` must be refused, or null when it may be stored:
 * every required component is registered (the message lists those that are), each range fits
 * the required component's version scheme, and in the graph of registrations plus what each
 * component's newest announced release requires no cycle passes through `name` (the message
 * names it; a cycle elsewhere, e.g. between announced releases, is not this registration's doing).
 */
export function refuseRequirements(
  name: string,
  requires: Requirements,
  snapshot: RequirementsSnapshot,
): QueryError | null {
  const schemes = new Map(snapshot.components.map((c) => [c.name, c.scheme]));
  for (const [needed, range] of Object.entries(requires).sort(([a], [b]) => a.localeCompare(b))) {
    if (needed === name) continue; // a component requiring itself is a cycle, named below
    const scheme = schemes.get(needed);
    if (!scheme) {
      const known = [...schemes.keys()].sort();
      return {
        code: RequirementErrorCode.UnknownComponent,
        message:
          `${name} requires ${needed} ${range}, but ${needed} is not registered ` +
          `(registered: ${known.length ? known.join(', ') : 'none'}); register ${needed} first, or leave it out of --requires`,
      };
    }
    try {
      checkRange(scheme, range);
    } catch (err) {
      return {
        code: RequirementErrorCode.InvalidRange,
        message: `${name} requires ${needed} ${range}: ${(err as Error).message}`,
      };
    }
  }
  const registered = new Map(snapshot.components.map((c) => [c.name, c.requires]));
  registered.set(name, requires);
  // Only a cycle through this component can be of this registration's making.
  const cycle = findCycleThrough(requirementGraph(registered, newestReleaseRequirements(snapshot)), name);
  if (!cycle) return null;
  return {
    code: RequirementErrorCode.DependencyCycle,
    message: `${name} is not registered with these requirements: ${new DependencyCycleError(cycle).message}`,
  };
}
