import type { Requirements } from '@lockstep/contracts';
import { DependencyCycleError } from './errors';

/**
 * Who needs whom: component → the components it requires. A name that appears only as a
 * requirement (not as a key) requires nothing.
 */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

/**
 * The graph of several sets of requirements together, e.g. what each component was registered
 * with and what the newest announced release of each declares: an edge in any of them is an
 * edge of the result. Entries with no requirements still appear as keys.
 */
export function requirementGraph(
  ...sources: ReadonlyArray<ReadonlyMap<string, Readonly<Requirements>> | Iterable<[string, Readonly<Requirements>]>>
): Map<string, string[]> {
  const edges = new Map<string, Set<string>>();
  for (const source of sources) {
    for (const [component, requires] of source) {
      const set = edges.get(component) ?? new Set<string>();
      for (const needed of Object.keys(requires ?? {})) set.add(needed);
      edges.set(component, set);
    }
  }
  return new Map([...edges].map(([c, s]) => [c, [...s].sort()]));
}

const sortedNeeds = (graph: DependencyGraph, component: string): string[] =>
  [...new Set(graph.get(component) ?? [])].sort();

/**
 * A cycle in the graph, the first component repeated at the end (`['config', 'app', 'config']`,
 * a component that requires itself: `['a', 'a']`), or null when there is none. Deterministic:
 * components and their requirements are visited in name order, so the same graph always names
 * the same cycle.
 */
export function findCycle(graph: DependencyGraph): string[] | null {
  const done = new Set<string>();
  const onPath = new Map<string, number>();
  const path: string[] = [];

  const visit = (component: string): string[] | null => {
    const at = onPath.get(component);
    if (at !== undefined) return [...path.slice(at), component];
    if (done.has(component)) return null;
    onPath.set(component, path.length);
    path.push(component);
    for (const needed of sortedNeeds(graph, component)) {
      const cycle = visit(needed);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(component);
    done.add(component);
    return null;
  };

  for (const component of [...graph.keys()].sort()) {
    const cycle = visit(component);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * A cycle that passes through `component` (`['app', 'config', 'app']`, starting and ending
 * with it), or null. Changing only what `component` requires can close no other cycle, so this
 * is what a registration of `component` must check: a cycle elsewhere is not its doing.
 */
export function findCycleThrough(graph: DependencyGraph, component: string): string[] | null {
  const seen = new Set<string>();
  const path: string[] = [component];
  const back = (from: string): boolean => {
    for (const needed of sortedNeeds(graph, from)) {
      if (needed === component) return true;
      if (seen.has(needed)) continue;
      seen.add(needed);
      path.push(needed);
      if (back(needed)) return true;
      path.pop();
    }
    return false;
  };
  return back(component) ? [...path, component] : null;
}

/**
 * The order in which to update `components`: each after every component it requires, directly
 * or through components outside the list (app → lib → config puts config before app even when
 * lib is not updated). Components that do not depend on each other keep name order. Throws
 * `DependencyCycleError` (code `DEPENDENCY_CYCLE`, the message names the cycle) when the
 * components, or what they require, depend on each other in a cycle.
 */
export function dependencyOrder(components: Iterable<string>, graph: DependencyGraph): string[] {
  const wanted = new Set(components);
  // Everything the wanted components reach: orderings through outside components count.
  const reach = new Set<string>();
  const stack = [...wanted];
  while (stack.length) {
    const c = stack.pop()!;
    if (reach.has(c)) continue;
    reach.add(c);
    stack.push(...sortedNeeds(graph, c));
  }
  const sub = new Map([...reach].map((c) => [c, sortedNeeds(graph, c)]));
  const cycle = findCycle(sub);
  if (cycle) throw new DependencyCycleError(cycle);

  // Kahn's algorithm, always taking the first ready component by name.
  const order: string[] = [];
  const placed = new Set<string>();
  const pending = [...reach].sort();
  while (pending.length) {
    const i = pending.findIndex((c) => sub.get(c)!.every((needed) => placed.has(needed)));
    const [next] = pending.splice(i, 1);
    placed.add(next);
    if (wanted.has(next)) order.push(next);
  }
  return order;
}
