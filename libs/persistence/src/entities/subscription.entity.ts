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

  /** Channel target settings (URL, `whsec_` secrets…), validated by the channel plugin. Holds secrets: never logged or returned whole. */
  @Column({ type: 'jsonb' })
  target: Record<string, unknown>;

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
