import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A node the scheduler announced as lost (`node.lost`) and that has not heart-beaten since. */
@Entity({ name: 'lost_nodes' })
export class LostNodeEntity {
  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId: string;

  /** Its last heartbeat before it went silent. */
  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;

  /** When the scheduler noticed. */
  @Column({ name: 'lost_at', type: 'timestamptz' })
  lostAt: Date;
}
