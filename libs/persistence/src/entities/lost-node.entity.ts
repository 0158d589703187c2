import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A node the scheduler announced as lost (`node.lost`): lost while `recoveredAt` is null, else
 * recovered (`node.recovered`) with the heartbeat it came back with in `lastSeenAt`.
 */
@Entity({ name: 'lost_nodes' })
export class LostNodeEntity {
  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId: string;

  /** Its last heartbeat before it went silent; once recovered, the heartbeat it came back with. */
  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;

  /** When the scheduler noticed. */
  @Column({ name: 'lost_at', type: 'timestamptz' })
  lostAt: Date;

  /** When the scheduler saw it heart-beat again (announced `node.recovered`); null while lost. */
  @Column({ name: 'recovered_at', type: 'timestamptz', nullable: true })
  recoveredAt: Date | null;
}
