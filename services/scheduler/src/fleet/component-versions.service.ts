import { Injectable, Logger } from '@nestjs/common';
import type { RolloutEntity } from '@lockstep/persistence';
import type { NodeEntry } from '@lockstep/messaging';
import { getScheme } from '@lockstep/versioning';
import {
  ComponentVersionsRepository,
  type FinishedRollout,
  type FollowedComponent,
  type NodeOutcome,
} from './component-versions.repository';
import { FleetView } from './fleet-view.service';

/** A component whose current version was moved to follow its nodes. */
export interface VersionFollowed {
  component: string;
  from: string | null;
  to: string;
}

/**
 * Keeps a component's current version (what the checker announces new releases against, and
 * what backups are labelled with) following what its nodes run: it is the lowest version any
 * live node of the component runs, so a release is announced as long as one node lags behind it.
 * It is recomputed when a rollout ends (succeeded, failed, rolled back or aborted), where what the
 * rollout's own nodes reported wins over their heartbeats, which may not have caught up yet; and
 * on every look at the fleet (`followFleet`), which catches what happens outside rollouts: a node
 * joining with another version, one removed or lost, a version changed by hand. Every change is
 * audited as the scheduler's decision (`component.version-followed`).
 */
@Injectable()
export class ComponentVersions {
  private readonly logger = new Logger(ComponentVersions.name);

  constructor(
    private readonly repo: ComponentVersionsRepository,
    private readonly fleet: FleetView,
  ) {}

  /**
   * Recomputes the component's version after `rollout` ended, given the outcomes of its nodes;
   * returns it (undefined: unknown component).
   */
  async afterRollout(
    rollout: Pick<RolloutEntity, 'id' | 'component' | 'targetVersion'>,
    rolloutNodes: readonly NodeOutcome[],
  ): Promise<string | null | undefined> {
    const component = await this.repo.component(rollout.component);
    if (!component) return undefined;
    const running = heartbeatVersions(await this.fleet.list(), component.name);
    for (const n of rolloutNodes) applyOutcome(running, rollout.targetVersion, n);
    const lowest = lowestOf(component, running);
    if (lowest === undefined || lowest === component.currentVersion) return component.currentVersion;
    await this.move(component, lowest, running.size, { rolloutId: rollout.id });
    return lowest;
  }

  /**
   * One look at the fleet (`entries`, as the liveness look read it): moves every component whose
   * live nodes' lowest version differs from its current one. A component with a rollout under
   * way is left to that rollout's end. A node whose heartbeat predates the end of the component's
   * last rollout counts with what that rollout recorded for it, so a late heartbeat never undoes
   * the rollout's result. Reads only the components table unless something differs.
   */
  async followFleet(entries: readonly NodeEntry[]): Promise<VersionFollowed[]> {
    const differing = (await this.repo.components()).flatMap((component) => {
      const running = heartbeatVersions(entries, component.name);
      const lowest = lowestOf(component, running);
      return lowest === undefined || lowest === component.currentVersion ? [] : [{ component, running }];
    });
    if (differing.length === 0) return [];
    const names = differing.map((d) => d.component.name);
    const [active, last] = await Promise.all([this.repo.withActiveRollout(names), this.repo.lastFinished(names)]);
    const moved: VersionFollowed[] = [];
    for (const { component, running } of differing) {
      if (active.has(component.name)) continue;
      const rollout = last.get(component.name);
      if (rollout) applyUnseenOutcomes(running, entries, rollout);
      const lowest = lowestOf(component, running);
      if (lowest === undefined || lowest === component.currentVersion) continue;
      if (await this.move(component, lowest, running.size, { seen: 'fleet' }))
        moved.push({ component: component.name, from: component.currentVersion, to: lowest });
    }
    return moved;
  }

  private async move(
    component: FollowedComponent,
    to: string,
    nodes: number,
    params: Record<string, unknown>,
  ): Promise<boolean> {
    const moved = await this.repo.follow(component.name, component.currentVersion, to, { ...params, nodes });
    if (moved)
      this.logger.log(
        `${component.name} now counts as ${to} (was ${component.currentVersion ?? 'unknown'}): the lowest version its ${nodes} node(s) run`,
      );
    return moved;
  }
}

/** What each live node says it runs of `component` (node id → version). */
function heartbeatVersions(entries: readonly NodeEntry[], component: string): Map<string, string> {
  const running = new Map<string, string>();
  for (const { record, lost } of entries) {
    const version = record.components[component];
    if (!lost && version !== undefined) running.set(record.id, version);
  }
  return running;
}

/** What a rollout recorded a node ended on, over what its heartbeat said. */
function applyOutcome(running: Map<string, string>, targetVersion: string, n: NodeOutcome): void {
  if (n.status === 'succeeded') running.set(n.nodeId, targetVersion);
  else if (n.status === 'reverted' && n.fromVersion) running.set(n.nodeId, n.fromVersion);
}

/** The rollout's outcomes for the live nodes that have not heart-beat since it finished. */
function applyUnseenOutcomes(running: Map<string, string>, entries: readonly NodeEntry[], r: FinishedRollout): void {
  const seenAt = new Map(entries.map((e) => [e.record.id, Date.parse(e.record.seenAt)]));
  for (const n of r.nodes)
    if (running.has(n.nodeId) && (seenAt.get(n.nodeId) ?? 0) < r.finishedAt.getTime())
      applyOutcome(running, r.targetVersion, n);
}

/** The lowest valid version in `running` by the component's scheme (undefined: none). */
function lowestOf(component: FollowedComponent, running: Map<string, string>): string | undefined {
  const scheme = getScheme(component.scheme);
  const versions = [...running.values()].filter((v) => scheme.isValid(v));
  if (versions.length === 0) return undefined;
  return versions.reduce((a, b) => (scheme.compare(a, b) <= 0 ? a : b));
}
