import { Injectable } from '@nestjs/common';
import type { RolloutState } from '@lockstep/contracts';
import { RolloutEntity, RolloutNodeEntity } from '@lockstep/persistence';
import { DataSource, In, type FindOptionsWhere } from 'typeorm';

/** A rollout with how many of its nodes are in each status. */
export interface RolloutRow {
  rollout: RolloutEntity;
  /** Node status -> count. */
  statusCounts: Record<string, number>;
}

/** The filter of a rollout list. */
export interface RolloutFilter {
  component?: string;
  /** Only rollouts of these components (a token narrowed to components sees only those). */
  components?: string[];
  state?: RolloutState;
  limit: number;
}

/** Reads rollouts and their nodes (the scheduler writes them). */
@Injectable()
export class RolloutsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Rollouts matching the filter, newest first, with node counts by status. */
  async list(filter: RolloutFilter): Promise<RolloutRow[]> {
    const where: FindOptionsWhere<RolloutEntity> = {};
    if (filter.components && filter.component && !filter.components.includes(filter.component)) return [];
    if (filter.component) where.component = filter.component;
    else if (filter.components) where.component = In(filter.components);
    if (filter.state) where.state = filter.state;
    const rollouts = await this.ds
      .getRepository(RolloutEntity)
      .find({ where, order: { createdAt: 'DESC', id: 'DESC' }, take: filter.limit });
    if (rollouts.length === 0) return [];
    const rows: Array<{ rollout_id: string; status: string; n: number }> = await this.ds.query(
      `SELECT rollout_id, status, count(*)::int AS n FROM rollout_nodes WHERE rollout_id = ANY($1::uuid[]) GROUP BY rollout_id, status`,
      [rollouts.map((r) => r.id)],
    );
    const counts = new Map<string, Record<string, number>>();
    for (const r of rows) counts.set(r.rollout_id, { ...counts.get(r.rollout_id), [r.status]: r.n });
    return rollouts.map((rollout) => ({ rollout, statusCounts: counts.get(rollout.id) ?? {} }));
  }

  /** One rollout, or null. */
  find(id: string): Promise<RolloutEntity | null> {
    return this.ds.getRepository(RolloutEntity).findOneBy({ id });
  }

  /** A rollout's nodes in batch order, then by node id. */
  nodes(rolloutId: string): Promise<RolloutNodeEntity[]> {
    return this.ds
      .getRepository(RolloutNodeEntity)
      .find({ where: { rolloutId }, order: { batch: 'ASC', nodeId: 'ASC' } });
  }
}
