/** A message the consumer gave up on and moved to the dead-letter stream. */
export interface DeadLetteredMessage {
  /** The service whose consumer gave up. */
  service: string;
  /** The subject it arrived on, without the namespace (e.g. `evt.check.failed.v1`). */
  subject: string;
  /** Stream and sequence it had there. */
  stream: string;
  seq: number;
  /** Deliveries it got. */
  deliveries: number;
  /** Why it was dead-lettered. */
  reason: string;
}

/**
 * Where the event consumer reports each message it dead-letters, for the audit trail. Provided
 * by the persistence module in services that have Postgres (the agent, which has none, only
 * logs); optional, so messaging itself never depends on a database.
 */
export interface DeadLetterRecorder {
  deadLettered(message: DeadLetteredMessage): Promise<void>;
}
export const DEAD_LETTER_RECORDER = Symbol('DEAD_LETTER_RECORDER');
