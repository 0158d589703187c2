import { SetMetadata } from '@nestjs/common';
import type { Subject } from '@lockstep/contracts';

export const ON_EVENT_METADATA = 'lockstep:on-event';

/** What a handler decided about a message; returning nothing means Ack. */
export type HandlerOutcome =
  | { kind: 'ack' }
  /**
   * `outage`: a dependency was down; never counted toward dead-lettering. `connectionLost`: the
   * handler's database connection ended unexpectedly; counted against `maxConnectionLosses`.
   */
  | { kind: 'retry'; delayMs?: number; reason: string; outage?: boolean; connectionLost?: boolean }
  | { kind: 'dead-letter'; reason: string };

/** How a subject's handler is called. */
export interface OnEventOptions {
  /**
   * Batch handler: the method gets an array of validated CloudEvents in stream order — every
   * message delivered while the previous call ran, up to `maxBatch` — and its outcome settles
   * them all. When a batch of several fails, each of its events is handled again on its own,
   * so one bad event is retried or dead-lettered without its neighbours. For high-volume
   * subjects whose handling can be coalesced (one SQL statement per batch, not per event).
   */
  batch?: boolean;
  /** Most events per batch call (default 256). */
  maxBatch?: number;
  /**
   * Batch handlers: once an event is queued, wait up to this long for more before the call
   * (default 0: call at once). Coalesces a steady trickle of events into a few calls, e.g. a
   * few database commits instead of one per event, at the cost of this much delay.
   */
  lingerMs?: number;
}

/** What @OnEvent records on a method. */
export interface OnEventMetadata extends OnEventOptions {
  subject: Subject;
}

/**
 * Marks a provider method as the handler of a JetStream event subject. The method gets
 * the validated CloudEvent (an array of them with `{ batch: true }`); it is consumed through
 * a durable consumer with explicit acks.
 */
export const OnEvent = (subject: Subject, options: OnEventOptions = {}): MethodDecorator =>
  SetMetadata(ON_EVENT_METADATA, { subject, ...options } satisfies OnEventMetadata);
