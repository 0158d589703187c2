import type { ComponentFleet } from '@lockstep/contracts';
import type { NodeEntry } from '@lockstep/messaging';
import { getScheme } from '@lockstep/versioning';

/**
 * What `component`'s nodes run: live nodes per version, newest first by its version scheme
 * (versions the scheme does not know come last, by name), and lost nodes counted apart.
 */
export function summarizeFleet(
  component: { name: string; scheme: string },
  entries: readonly NodeEntry[],
): ComponentFleet {
  const counts = new Map<string, number>();
  let lost = 0;
  for (const { record, lost: isLost } of entries) {
    const version = record.components[component.name];
    if (version === undefined) continue;
    if (isLost) lost++;
    else counts.set(version, (counts.get(version) ?? 0) + 1);
  }
  const scheme = getScheme(component.scheme);
  const newestFirst = (a: string, b: string): number => {
    const [va, vb] = [scheme.isValid(a), scheme.isValid(b)];
    if (va && vb) return scheme.compare(b, a);
    if (va !== vb) return va ? -1 : 1;
    return a.localeCompare(b);
  };
  const versions = [...counts.keys()].sort(newestFirst).map((version) => ({ version, nodes: counts.get(version)! }));
  return { nodes: versions.reduce((n, v) => n + v.nodes, 0), lost, versions };
}
