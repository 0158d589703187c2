import type { LoggerService } from '@nestjs/common';
import { Subjects } from '@lockstep/contracts';
import type { EventPublisher } from './event-publisher';

/** Pauses between attempts to announce a dead letter; `undefined` marks the last attempt. */
const ALERT_RETRY_PAUSES_MS = [250, 1000, 2500, undefined];

/** A message just stored in the DEAD_LETTERS stream. */
export interface StoredDeadLetter {
  /** The subject its consumer handles (without the namespace). */
  subject: string;
  /** Its bytes (a CloudEvent, when it was one: the alert names its id). */
  data: Uint8Array;
  reason: string;
  /** Its sequence in DEAD_LETTERS: what `lockstep dead-letters replay --message` takes. */
  seq: number;
  /** The dead-letter copy's Nats-Msg-Id; the alert's id derives from it. */
  msgId: string;
}

/**
 * Announces a dead letter (`message.dead_lettered`, which subscriptions receive) under an id
 * made of the dead letter's own, so a second attempt after a crash is dropped as a duplicate.
 * Tried for a few seconds (a stream leader moving, a reconnect), then best effort like the audit
 * record: an alert that cannot go out (NATS down for longer, or a user without the subject) is
 * logged, and the dead letter is still listed by `lockstep dead-letters`; holding the message back
 * instead would retry forever.
 */
export async function announceDeadLetter(
  publisher: EventPublisher,
  logger: LoggerService,
  letter: StoredDeadLetter,
): Promise<void> {
  let eventId: string | null = null;
  try {
    eventId = (JSON.parse(new TextDecoder().decode(letter.data)) as { id?: unknown }).id?.toString() ?? null;
  } catch {
    // not JSON: the alert says so by its reason
  }
  const { subject, seq, reason } = letter;
  for (const pause of ALERT_RETRY_PAUSES_MS) {
    try {
      await publisher.publish(
        Subjects.MessageDeadLettered,
        {
          kind: 'message',
          id: String(seq),
          service: publisher.service,
          subject,
          eventId,
          reason: reason.slice(0, 1000),
        },
        { id: `alert-${letter.msgId}`, subject },
      );
      return;
    } catch (err) {
      if (pause === undefined) {
        logger.error(`dead letter ${seq} of ${subject} not announced: ${(err as Error).message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
