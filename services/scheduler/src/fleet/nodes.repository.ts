import { Injectable } from '@nestjs/common';
import { Subjects } from '@lockstep/contracts';
import type { NodeEntry } from '@lockstep/messaging';
import {
  appendAudit,
  enqueueEvent,
  NodeRemovalEntity,
  RolloutEntity,
  type AuditRecordInput,
} from '@lockstep/persistence';
import { DataSource } from 'typeorm';
import { rolloutUnderWay } from '../rollouts/rollout-under-way';
import { rowsOf } from '../rollouts/sql-rows';

const SOURCE = '/lockstep/scheduler';

/** What one look at the fleet changed: nodes newly lost, nodes back from lost. */
export interface LivenessChanges {
  lost: string[];
  recovered: string[];
}

/**
 * The scheduler's Postgres side of the fleet: which nodes it announced as lost (`lost_nodes`),
 * the events announcing each transition (outbox, in the transaction that records it), the
 * removal of a node (audit record), and whether a rollout still needs a node.
 */
@Injectable()
export class NodesRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Records the transitions `entries` show against what was announced before, each in a
   * transaction of its own with its event: `node.lost` when a node went silent, `node.recovered`
   * when a lost one heart-beats again. The insert or update that records a transition succeeds
   * for one replica only (the row is the proof), so replicas and restarts announce it once.
   *
   * `entries` may be older than what another replica recorded meanwhile (it listed the fleet,
   * then another replica saw the node go lost and come back): each transition is therefore
   * ordered by the node's heartbeats, not by when a replica looked. A node's row keeps the
   * heartbeat of its last transition (`last_seen_at`: the last one before it went silent, or the
   * one it came back with), and a look only moves it forward: a recovery needs a heartbeat newer
   * than the one it went silent after, a new loss a last heartbeat no older than the recovery's.
   */
  async observe(entries: NodeEntry[], now: Date): Promise<LivenessChanges> {
    const rows = rowsOf<{ node_id: string; lost: boolean }>(
      await this.ds.query(`SELECT node_id, recovered_at IS NULL AS lost FROM lost_nodes`),
    );
    const announced = new Set(rows.filter((r) => r.lost).map((r) => r.node_id));
    const changes: LivenessChanges = { lost: [], recovered: [] };
    for (const { record, lost } of entries) {
      if (lost && !announced.has(record.id) && (await this.markLost(record, now))) changes.lost.push(record.id);
      if (!lost && announced.has(record.id) && (await this.markRecovered(record, now)))
        changes.recovered.push(record.id);
    }
    // A removed node (`lockstep nodes rm`) left the bucket: forget it, announcing nothing. Done here,
    // not by the removal, so a look that listed the node just before it went cannot announce it again.
    const listed = new Set(entries.map((e) => e.record.id));
    const gone = rows.map((r) => r.node_id).filter((id) => !listed.has(id));
    if (gone.length) await this.ds.query(`DELETE FROM lost_nodes WHERE node_id = ANY($1::text[])`, [gone]);
    return changes;
  }

  /** Records `record` as lost unless it is already, or a recovery newer than its last heartbeat was recorded. */
  private markLost(record: NodeEntry['record'], now: Date): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const inserted = rowsOf<{ node_id: string }>(
        await m.query(
          `INSERT INTO lost_nodes (node_id, last_seen_at, lost_at) VALUES ($1, $2, $3)
           ON CONFLICT (node_id) DO UPDATE
             SET last_seen_at = EXCLUDED.last_seen_at, lost_at = EXCLUDED.lost_at, recovered_at = NULL
             WHERE lost_nodes.recovered_at IS NOT NULL AND lost_nodes.last_seen_at <= EXCLUDED.last_seen_at
           RETURNING node_id`,
          [record.id, record.seenAt, now],
        ),
      );
      if (!inserted.length) return false;
      await enqueueEvent(
        m,
        Subjects.NodeLost,
        {
          nodeId: record.id,
          hostname: record.hostname,
          labels: record.labels,
          lastSeenAt: record.seenAt,
          lostAt: now.toISOString(),
        },
        { source: SOURCE, subject: record.id, id: `node.lost.${record.id}.${record.seenAt}` },
      );
      return true;
    });
  }

  /** Records `record` as recovered if it is lost and heart-beat after it went silent. */
  private markRecovered(record: NodeEntry['record'], now: Date): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const [was] = rowsOf<{ last_seen_at: Date }>(
        await m.query(
          `WITH was AS (
             SELECT node_id, last_seen_at FROM lost_nodes
             WHERE node_id = $1 AND recovered_at IS NULL AND last_seen_at < $2::timestamptz FOR UPDATE
           )
           UPDATE lost_nodes l SET recovered_at = $3, last_seen_at = $2 FROM was
           WHERE l.node_id = was.node_id RETURNING was.last_seen_at`,
          [record.id, record.seenAt, now],
        ),
      );
      if (!was) return false;
      await enqueueEvent(
        m,
        Subjects.NodeRecovered,
        {
          nodeId: record.id,
          hostname: record.hostname,
          lostSince: new Date(was.last_seen_at).toISOString(),
          seenAt: record.seenAt,
        },
        { source: SOURCE, subject: record.id, id: `node.recovered.${record.id}.${record.seenAt}` },
      );
      return true;
    });
  }

  /** The rollout under way (rolloutUnderWay: including an auto-rollback still returning nodes) that has `nodeId` among its nodes, if any. */
  async activeRolloutWith(nodeId: string): Promise<RolloutEntity | null> {
    return this.ds
      .getRepository(RolloutEntity)
      .createQueryBuilder('r')
      .where(...rolloutUnderWay('r'))
      .andWhere('EXISTS (SELECT 1 FROM rollout_nodes n WHERE n.rollout_id = r.id AND n.node_id = :nodeId)', { nodeId })
      .orderBy('r.created_at', 'ASC')
      .getOne();
  }

  /**
   * Remembers a removal under way (committed before anything is deleted), so an attempt killed
   * half-way leaves a trace the next attempt finishes (see NodeRemovalService). Replaces one left
   * by an earlier attempt.
   */
  async startRemoval(removal: Omit<NodeRemovalEntity, 'startedAt'>, at: Date): Promise<void> {
    await this.ds.getRepository(NodeRemovalEntity).upsert({ ...removal, startedAt: at }, ['nodeId']);
  }

  /** The removal of `nodeId` an earlier attempt started and did not finish, if any. */
  unfinishedRemoval(nodeId: string): Promise<NodeRemovalEntity | null> {
    return this.ds.getRepository(NodeRemovalEntity).findOneBy({ nodeId });
  }

  /** Forgets a removal that was refused (the node heart-beat meanwhile): nothing was deleted. */
  async abandonRemoval(nodeId: string): Promise<void> {
    await this.ds.getRepository(NodeRemovalEntity).delete({ nodeId });
  }

  /**
   * Appends the removal's audit record and forgets the removal under way, then runs `remove`
   * (the deletes in NATS), in one transaction: nothing is recorded when a delete fails, and the
   * removal stays under way for the next attempt to finish.
   */
  async recordRemoval<T>(audit: AuditRecordInput & { target: string }, remove: () => Promise<T>): Promise<T> {
    return this.ds.transaction(async (m) => {
      await appendAudit(m, audit);
      await m.getRepository(NodeRemovalEntity).delete({ nodeId: audit.target });
      return remove();
    });
  }
}
