import type { NatsConnectionSettings } from '@lockstep/config';
import type { Subject } from '@lockstep/contracts';

/** How a service connects to NATS and which event subjects it consumes. */
export interface MessagingOptions {
  /** Service name: durable consumer names and the CloudEvent source derive from it. */
  service: string;
  /** Servers, credentials and TLS: the NATS_* settings of the service's config. */
  connection: NatsConnectionSettings;
  /** Root of every subject and prefix of every stream. */
  namespace: string;
  /** Every event subject this service handles; each must have exactly one @OnEvent handler. */
  handles: Subject[];
  /** Stream replicas (1 on a single server, 3 in a cluster). */
  replicas?: number;
  /** Deliveries before a message goes to the dead-letter subject. */
  maxDeliver?: number;
  /**
   * Deliveries whose handler lost its own database connection (a payload that crashes the
   * backend, or an outage's first blow) before the message is dead-lettered; counted apart
   * from, and far more patiently than, the handler's other failures.
   */
  maxConnectionLosses?: number;
  /** Redelivery delays in ms by attempt (last one repeats). */
  redeliveryBackoffMs?: number[];
  /** How long the server waits for an ack before redelivering. */
  ackWaitMs?: number;
  /**
   * The namespace's streams at start. `manage` (the scheduler): create them, and bring an
   * existing one's settings up to date. `create` (the other control-plane services, default):
   * create them when missing, never change an existing one (their NATS users may not). `use`
   * (node agents): neither; the control plane has made them.
   */
  topology?: 'manage' | 'create' | 'use';
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export const resolveOptions = (o: MessagingOptions): Required<MessagingOptions> => ({
  replicas: 1,
  maxDeliver: 8,
  maxConnectionLosses: 24,
  redeliveryBackoffMs: [500, 2000, 10000, 30000, 60000],
  ackWaitMs: 30000,
  ...o,
  topology: o.topology ?? 'create',
});
