import { Injectable } from '@nestjs/common';
import { systemActor } from '@lockstep/contracts';
import { ComponentEntity, RolloutEntity, type RolloutNodeEntity } from '@lockstep/persistence';
import { DataSource } from 'typeorm';
import { AuditRepository } from '../audit/audit.repository';
import { rolloutUnderWay } from '../rollouts/rollout-under-way';
import { rowsOf } from '../rollouts/sql-rows';

/** A component as its version is followed: its scheme and the version it counts as running. */
export type FollowedComponent = Pick<ComponentEntity, 'name' | 'scheme' | 'currentVersion'>;
const FOLLOWED = { name: true, scheme: true, currentVersion: true } as const;

/** What a node of a rollout ended with, as far as the version it runs goes. */
export type NodeOutcome = Pick<RolloutNodeEntity, 'nodeId' | 'status' | 'fromVersion'>;

/** A component's most recent finished rollout, with its nodes' outcomes. */
export interface FinishedRollout {
  id: string;
  component: string;
  targetVersion: string;
  finishedAt: Date;
  nodes: NodeOutcome[];
}

/** Reads and moves components' current versions; every move is audited as the scheduler's decision. */
@Injectable()
export class ComponentVersionsRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditRepository,
  ) {}

  async component(name: string): Promise<FollowedComponent | null> {
    return this.ds.getRepository(ComponentEntity).findOne({ where: { name }, select: FOLLOWED });
  }

  async components(): Promise<FollowedComponent[]> {
    return this.ds.getRepository(ComponentEntity).find({ select: FOLLOWED });
  }

  /**
   * Which of `names` have a rollout under way (rolloutUnderWay: planned, running or paused, or
   * failed with its auto-rollback still returning nodes, as the conductor counts them).
   */
  async withActiveRollout(names: string[]): Promise<Set<string>> {
    const rows = await this.ds
      .getRepository(RolloutEntity)
      .createQueryBuilder('r')
      .select('DISTINCT r.component', 'component')
      .where('r.component = ANY(:names)', { names })
      .andWhere(...rolloutUnderWay('r'))
      .getRawMany<{ component: string }>();
    return new Set(rows.map((r) => r.component));
  }

  /** The most recent finished rollout of each of `names` that has one. */
  async lastFinished(names: string[]): Promise<Map<string, FinishedRollout>> {
    const rollouts = rowsOf<{ id: string; component: string; target_version: string; finished_at: Date }>(
      await this.ds.query(
        `SELECT DISTINCT ON (component) id, component, target_version, finished_at FROM rollouts
         WHERE component = ANY($1) AND finished_at IS NOT NULL ORDER BY component, finished_at DESC`,
        [names],
      ),
    );
    const nodes = rowsOf<{ rollout_id: string; node_id: string; status: NodeOutcome['status']; from_version: string }>(
      await this.ds.query(
        `SELECT rollout_id, node_id, status, from_version FROM rollout_nodes WHERE rollout_id = ANY($1)`,
        [rollouts.map((r) => r.id)],
      ),
    );
    return new Map(
      rollouts.map((r) => [
        r.component,
        {
          id: r.id,
          component: r.component,
          targetVersion: r.target_version,
          finishedAt: new Date(r.finished_at),
          nodes: nodes
            .filter((n) => n.rollout_id === r.id)
            .map((n) => ({ nodeId: n.node_id, status: n.status, fromVersion: n.from_version })),
        },
      ]),
    );
  }

  /**
   * Moves `component` from `from` to `to` with its audit record, only if it still counts as
   * `from` (another replica, or the end of a rollout, may have moved it meanwhile): false when
   * nothing was moved, and then nothing is audited either.
   */
  async follow(component: string, from: string | null, to: string, params: Record<string, unknown>): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const moved = await m
        .createQueryBuilder()
        .update(ComponentEntity)
        .set({ currentVersion: to })
        .where('name = :component', { component })
        .andWhere(from === null ? 'current_version IS NULL' : 'current_version = :from', { from })
        .execute();
      if (!moved.affected) return false;
      await this.audit.recordIn(m, {
        actor: systemActor('scheduler'),
        action: 'component.version-followed',
        target: component,
        params: { from, to, ...params },
      });
      return true;
    });
  }
}
