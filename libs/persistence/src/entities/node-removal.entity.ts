import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A `lockstep nodes rm` under way: committed before the node's record and command consumer are
 * deleted, gone with the `node.removed` audit record; one left behind is finished by a retry.
 */
@Entity({ name: 'node_removals' })
export class NodeRemovalEntity {
  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId: string;

  @Column({ type: 'text' })
  hostname: string;

  /** Its last heartbeat when the removal started (RFC 3339, as the node wrote it). */
  @Column({ name: 'last_seen_at', type: 'text' })
  lastSeenAt: string;

  /** Whether it had stopped heart-beating (false: removed alive, with force). */
  @Column({ name: 'was_lost', type: 'boolean' })
  wasLost: boolean;

  @Column({ type: 'boolean' })
  force: boolean;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;
}
