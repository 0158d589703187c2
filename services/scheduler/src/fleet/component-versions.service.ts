import { Injectable, Logger } from '@nestjs/common';
import { systemActor } from '@lockstep/contracts';
import { ComponentEntity, type RolloutEntity, type RolloutNodeEntity } from '@lockstep/persistence';
import { getScheme } from '@lockstep/versioning';
import { DataSource } from 'typeorm';
import { AuditRepository } from '../audit/audit.repository';
import { FleetView } from './fleet-view.service';

/**
 * Keeps a component's current version (what the checker announces new releases against, and
 * what backups are labelled with) following what its nodes run: after every rollout it is the
 * lowest version any live node of the component runs, so a release is announced as long as one
 * node lags behind it. What the rollout's own nodes reported wins over their heartbeats, which
 * may not have caught up yet. A change is audited as the scheduler's decision.
 */
@Injectable()
export class ComponentVersions {
  private readonly logger = new Logger(ComponentVersions.name);

  constructor(
    private readonly ds: DataSource,
    private readonly fleet: FleetView,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Recomputes the component's version after `rollout` ended, given the outcomes of its nodes;
   * returns it (undefined: unknown component).
   */
  async afterRollout(
    rollout: Pick<RolloutEntity, 'id' | 'component' | 'targetVersion'>,
    rolloutNodes: ReadonlyArray<Pick<RolloutNodeEntity, 'nodeId' | 'status' | 'fromVersion'>>,
  ): Promise<string | null | undefined> {
    const component = await this.ds.getRepository(ComponentEntity).findOneBy({ name: rollout.component });
    if (!component) return undefined;
    const scheme = getScheme(component.scheme);
    const running = new Map<string, string>();
    for (const { record, lost } of await this.fleet.list()) {
      const version = record.components[rollout.component];
      if (!lost && version !== undefined) running.set(record.id, version);
    }
    for (const n of rolloutNodes) {
      if (n.status === 'succeeded') running.set(n.nodeId, rollout.targetVersion);
      else if (n.status === 'reverted' && n.fromVersion) running.set(n.nodeId, n.fromVersion);
    }
    const versions = [...running.values()].filter((v) => scheme.isValid(v));
    if (versions.length === 0) return component.currentVersion;
    const lowest = versions.reduce((a, b) => (scheme.compare(a, b) <= 0 ? a : b));
    if (lowest === component.currentVersion) return lowest;
    await this.ds.transaction(async (m) => {
      await m.update(ComponentEntity, { name: component.name }, { currentVersion: lowest });
      await this.audit.recordIn(m, {
        actor: systemActor('scheduler'),
        action: 'component.version-followed',
        target: component.name,
        params: { from: component.currentVersion, to: lowest, rolloutId: rollout.id, nodes: running.size },
      });
    });
    this.logger.log(
      `${component.name} now counts as ${lowest} (was ${component.currentVersion ?? 'unknown'}): the lowest version its ${running.size} node(s) run`,
    );
    return lowest;
  }
}
