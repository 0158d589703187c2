import { SetMetadata } from '@nestjs/common';
import type { Subject } from '@lockstep/contracts';

export const ON_EVENT_METADATA = 'lockstep:on-event';

/** What a handler decided about a message; returning nothing means Ack. */
export type HandlerOutcome =
  | { kind: 'ack' }
  | { kind: 'retry'; delayMs?: number; reason: string }
  | { kind: 'dead-letter'; reason: string };

export const Outcome = {
  ack: (): HandlerOutcome => ({ kind: 'ack' }),
  retry: (reason: string, delayMs?: number): HandlerOutcome => ({ kind: 'retry', reason, delayMs }),
  deadLetter: (reason: string): HandlerOutcome => ({ kind: 'dead-letter', reason }),
} as const;

/**
 * Marks a provider method as the handler of a JetStream event subject. The method gets
 * the validated CloudEvent; it is consumed through a durable consumer with explicit acks.
 */
export const OnEvent = (subject: Subject): MethodDecorator => SetMetadata(ON_EVENT_METADATA, subject);
