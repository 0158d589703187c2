import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Where the notifier sends events: a webhook endpoint, a Slack or a Discord webhook. */
@Entity({ name: 'subscriptions' })
export class SubscriptionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  /** Channel plugin id: `webhook`, `slack`, `discord`. */
  @Column({ type: 'text' })
  channel: string;

  /**
   * What may be shown of the channel target: `{ url: <masked>, secretCount }`. Rows not yet
   * sealed (written before secrets were sealed) hold the whole target here until the notifier
   * seals them at its next start with a key.
   */
  @Column({ type: 'jsonb' })
  target: Record<string, unknown>;

  /**
   * The whole channel target (URL with its token, `whsec_` secrets…) as JSON sealed with
   * LOCKSTEP_SECRET_KEY (`v1:<key id>:…`, bound to this row's id); null while not yet sealed.
   */
  @Column({ name: 'target_sealed', type: 'text', nullable: true })
  targetSealed: string | null;

  /** Event-name filters, e.g. `release.available`, `check.*`, `*`. */
  @Column({ name: 'event_types', type: 'text', array: true, default: () => "'{*}'" })
  eventTypes: string[];

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** Why the endpoint was disabled (e.g. it answered 410 Gone). */
  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
