import { z } from 'zod';

/** A node as the API shows it: what its agent last reported, and whether it still heart-beats. */
export const NodeView = z.object({
  /** The node's id (a subject token: lowercase letters, digits, dash, underscore). */
  id: z.string(),
  /** Host name the agent reported. */
  hostname: z.string(),
  /** Labels the agent was started with, e.g. `group=canary`; selectors match them. */
  labels: z.record(z.string(), z.string()),
  /** Component name -> the version the node runs. */
  components: z.record(z.string(), z.string()),
  /** Version of the Lockstep agent. */
  agentVersion: z.string(),
  /** `idle`, or the install step the node is in. */
  state: z.string(),
  /** Last heartbeat (RFC 3339). */
  seenAt: z.string(),
  /** True when the last heartbeat is older than API_NODE_LOST_AFTER: never counted healthy. */
  lost: z.boolean(),
});
export type NodeView = z.infer<typeof NodeView>;

/** A node id in a path (`DELETE /v1/nodes/:id`). */
export const NodeIdParam = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
  message: 'expected a node id as lockstep nodes shows it (lowercase letters, digits, dash, underscore)',
});

/** Query of `DELETE /v1/nodes/:id`. */
export const RemoveNodeQuery = z.strictObject({
  /** `true`: remove the node although it still heart-beats (it comes back with its next heartbeat while its agent runs). */
  force: z
    .enum(['true', 'false'], { message: 'force must be true or false' })
    .optional()
    .describe(
      'true: remove the node although it still heart-beats (it comes back with its next heartbeat while its agent runs)',
    ),
});
export type RemoveNodeQuery = z.infer<typeof RemoveNodeQuery>;
