import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  NodeRemoveErrorCode,
  QueryErrorCode,
  type Audited,
  type NodeRemovedV1,
  type NodeRemoveV1,
  type QueryReply,
} from '@lockstep/contracts';
import { NodeRecordChangedError } from '@lockstep/messaging';
import type { NodeRemovalEntity } from '@lockstep/persistence';
import { CLOCK, type Clock } from '../clock/clock.port';
import { FleetView } from './fleet-view.service';
import { NodeCommander } from './node-commander';
import { NodesRepository } from './nodes.repository';

const fail = (code: string, message: string) => ({ ok: false as const, error: { code, message } });

/**
 * An operator's removal of a node from the fleet (`lockstep nodes rm`): its record leaves the
 * node bucket (so no rollout plans it and `lockstep nodes` stops listing it) and its command
 * consumer goes (so no command waits for it). Refused for a node that still heart-beats (unless
 * forced) and for one a rollout under way still counts on (rolloutUnderWay: planned, running,
 * paused, or failed with its auto-rollback still returning nodes).
 */
@Injectable()
export class NodeRemovalService {
  private readonly logger = new Logger(NodeRemovalService.name);

  constructor(
    private readonly fleet: FleetView,
    private readonly commander: NodeCommander,
    private readonly repo: NodesRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Crash-safe order (the scheduler may be killed at any point, and the operator retries):
   * 1. the removal under way is committed first (node_removals), before anything is deleted;
   * 2. one transaction appends `node.removed`, forgets the removal under way, deletes the node's
   *    record (compare-and-delete at the revision read) and its command consumer, and commits
   *    only when both deletes succeeded.
   * Killed before 2 commits (after either delete), the node may be gone from the bucket, so a
   * retry finds no record; it finds the removal under way instead and finishes it (deleting the
   * consumer again is harmless, recording happens once, in 2). Killed after 2 commits, all is
   * done. A refusal in 2 (the node heart-beat) rolls it back and forgets the removal under way.
   */
  async remove(req: Audited<NodeRemoveV1>): Promise<QueryReply<NodeRemovedV1>> {
    const id = req.nodeId;
    const node = await this.fleet.find(id, this.clock.now());
    if (!node) return this.finishUnfinished(req);
    if (!node.lost && !req.force)
      return fail(
        NodeRemoveErrorCode.Alive,
        `node ${id} still heart-beats (last ${node.record.seenAt}); stop its agent and wait until lockstep nodes shows it LOST, or remove it anyway with --force (it comes back with its next heartbeat while its agent runs)`,
      );
    const rollout = await this.repo.activeRolloutWith(id);
    if (rollout)
      return fail(
        NodeRemoveErrorCode.InRollout,
        rollout.state === 'failed'
          ? `node ${id} is part of rollout ${rollout.id} (${rollout.component} → ${rollout.targetVersion}), which failed, and its auto-rollback still returns its nodes; wait until it is rolled_back (lockstep rollouts show ${rollout.id} --wait), then remove the node`
          : `node ${id} is part of rollout ${rollout.id} (${rollout.component} → ${rollout.targetVersion}), which is ${rollout.state}; wait until it ends or abort it (lockstep rollouts abort ${rollout.id}), then remove the node`,
      );
    const removal = {
      nodeId: id,
      hostname: node.record.hostname,
      lastSeenAt: node.record.seenAt,
      wasLost: node.lost,
      force: req.force,
    };
    await this.repo.startRemoval(removal, new Date(this.clock.now()));
    try {
      const consumerDeleted = await this.repo.recordRemoval(this.audit(req, removal), async () => {
        await this.fleet.remove(id, node.revision);
        return this.commander.removeConsumer(id);
      });
      return this.removed(removal, consumerDeleted);
    } catch (err) {
      if (!(err instanceof NodeRecordChangedError))
        throw new Error(
          `the removal of node ${id} was interrupted (${(err as Error).message}); run lockstep nodes rm ${id} again to finish it`,
          { cause: err },
        );
      await this.repo.abandonRemoval(id);
      return fail(NodeRemoveErrorCode.Alive, `${err.message}; look again with lockstep nodes`);
    }
  }

  /** NOT_FOUND, unless an earlier attempt was killed after deleting the record: then it finishes that one. */
  private async finishUnfinished(req: Audited<NodeRemoveV1>): Promise<QueryReply<NodeRemovedV1>> {
    const removal = await this.repo.unfinishedRemoval(req.nodeId);
    if (!removal)
      return fail(
        QueryErrorCode.NotFound,
        `node ${req.nodeId} is not in the fleet (the node bucket holds no record for it); lockstep nodes lists the nodes`,
      );
    this.logger.warn(
      `finishing the removal of node ${req.nodeId} an earlier attempt started at ${removal.startedAt.toISOString()}`,
    );
    const consumerDeleted = await this.repo.recordRemoval(
      this.audit(req, { ...removal, finishedAfterInterruption: true }),
      () => this.commander.removeConsumer(req.nodeId),
    );
    return this.removed(removal, consumerDeleted);
  }

  private audit(
    req: Audited<NodeRemoveV1>,
    removal: Omit<NodeRemovalEntity, 'startedAt'> & { finishedAfterInterruption?: boolean },
  ) {
    const { nodeId, ...params } = removal;
    return { actor: req.actor, action: 'node.removed', target: nodeId, params, at: new Date(this.clock.now()) };
  }

  private removed(removal: Pick<NodeRemovalEntity, 'nodeId' | 'lastSeenAt' | 'wasLost'>, consumerDeleted: boolean) {
    const { nodeId, lastSeenAt, wasLost } = removal;
    return { ok: true as const, result: { nodeId, lastSeenAt, wasLost, consumerDeleted } };
  }
}
