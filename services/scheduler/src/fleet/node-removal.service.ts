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

  async remove(req: Audited<NodeRemoveV1>): Promise<QueryReply<NodeRemovedV1>> {
    const id = req.nodeId;
    const node = await this.fleet.find(id, this.clock.now());
    if (!node)
      return fail(
        QueryErrorCode.NotFound,
        `node ${id} is not in the fleet (the node bucket holds no record for it); lockstep nodes lists the nodes`,
      );
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
    try {
      await this.repo.recordRemoval(
        {
          actor: req.actor,
          action: 'node.removed',
          target: id,
          params: {
            force: req.force,
            wasLost: node.lost,
            lastSeenAt: node.record.seenAt,
            hostname: node.record.hostname,
          },
          at: new Date(this.clock.now()),
        },
        () => this.fleet.remove(id, node.revision),
      );
    } catch (err) {
      if (!(err instanceof NodeRecordChangedError)) throw err;
      return fail(NodeRemoveErrorCode.Alive, `${err.message}; look again with lockstep nodes`);
    }
    const consumerDeleted = await this.commander.removeConsumer(id).catch((err: Error) => {
      this.logger.warn(
        `removed node ${id}, but not its command consumer (${err.message}); it holds no commands anyone waits for`,
      );
      return false;
    });
    return { ok: true, result: { nodeId: id, lastSeenAt: node.record.seenAt, wasLost: node.lost, consumerDeleted } };
  }
}
