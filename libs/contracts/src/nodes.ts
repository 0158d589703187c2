import { z } from 'zod';
import { NodeId } from './fleet';

/**
 * Nodes leaving the fleet: the scheduler's `node.lost` / `node.recovered` events and the
 * operator's removal of a node record (`lockstep nodes rm`, `qry.scheduler.node-remove.v1`).
 */

/** Event `evt.node.lost.v1`: a node stopped heart-beating (published by the scheduler, once per transition). */
export const NodeLostV1 = z.object({
  /** The node that went silent. */
  nodeId: NodeId,
  /** Host name its agent last reported. */
  hostname: z.string(),
  /** Its labels, as selectors match them. */
  labels: z.record(z.string(), z.string()),
  /** Its last heartbeat (RFC 3339): it is lost since then. */
  lastSeenAt: z.string(),
  /** When the scheduler noticed (RFC 3339): the last heartbeat plus SCHEDULER_NODE_LOST_AFTER, or later. */
  lostAt: z.string(),
});
export type NodeLostV1 = z.infer<typeof NodeLostV1>;

/** Event `evt.node.recovered.v1`: a node announced as lost heart-beats again (published by the scheduler). */
export const NodeRecoveredV1 = z.object({
  /** The node that came back. */
  nodeId: NodeId,
  /** Host name its agent reported. */
  hostname: z.string(),
  /** Its heartbeat before it went silent (RFC 3339). */
  lostSince: z.string(),
  /** Its heartbeat that brought it back (RFC 3339). */
  seenAt: z.string(),
});
export type NodeRecoveredV1 = z.infer<typeof NodeRecoveredV1>;

/** Request of `qry.scheduler.node-remove.v1` (`DELETE /v1/nodes/:id`). */
export const NodeRemoveV1 = z.object({
  /** The node whose record (and command consumer) goes. */
  nodeId: NodeId,
  /** Remove it although it still heart-beats (it reappears with its next heartbeat unless its agent is stopped). */
  force: z.boolean().default(false),
});
export type NodeRemoveV1 = z.infer<typeof NodeRemoveV1>;

/** Reply of `qry.scheduler.node-remove.v1`, and what `DELETE /v1/nodes/:id` answers. */
export const NodeRemovedV1 = z.object({
  /** The node removed. */
  nodeId: z.string(),
  /** Its last heartbeat (RFC 3339). */
  lastSeenAt: z.string(),
  /** True when it had stopped heart-beating; false when it was removed alive with force. */
  wasLost: z.boolean(),
  /** True when its durable command consumer existed and was deleted. */
  consumerDeleted: z.boolean(),
});
export type NodeRemovedV1 = z.infer<typeof NodeRemovedV1>;

/** Codes of the scheduler's refusals to remove a node (wire names; the API answers 409, NOT_FOUND 404). */
export const NodeRemoveErrorCode = {
  /** The node still heart-beats; removing it needs force. */
  Alive: 'NODE_ALIVE',
  /** The node is part of a rollout under way: planned, running, paused, or failed with its auto-rollback still returning nodes. */
  InRollout: 'NODE_IN_ROLLOUT',
} as const;
export type NodeRemoveErrorCode = (typeof NodeRemoveErrorCode)[keyof typeof NodeRemoveErrorCode];
