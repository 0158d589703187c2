import { createEvent, type CloudEvent, type PayloadOf, type Subject } from '@lockstep/contracts';
import { traceContextToRecord } from '@lockstep/telemetry';
import type { EntityManager } from 'typeorm';
import { OutboxMessageEntity } from '../entities';

/**
 * Writes an event into the outbox inside the caller's transaction, so the state change
 * and its announcement commit together. The relay publishes it afterwards.
 */
export async function enqueueEvent<S extends Subject>(
  manager: EntityManager,
  subject: S,
  data: PayloadOf<S>,
  options: { source: string; subject?: string; id?: string },
): Promise<CloudEvent<PayloadOf<S>>> {
  const event = createEvent(subject, data, options);
  await manager.insert(OutboxMessageEntity, {
    subject,
    eventId: event.id,
    event: event as never,
    headers: traceContextToRecord(),
  });
  return event;
}

/**
 * Writes a command (plain JSON, not a CloudEvent) into the outbox inside the caller's
 * transaction; the relay publishes it to `subject` with `msgId` as Nats-Msg-Id, so the
 * request and its record commit together and a re-publish is dropped as a duplicate.
 */
export async function enqueueCommand(
  manager: EntityManager,
  subject: string,
  body: object,
  msgId: string,
): Promise<void> {
  await manager.insert(OutboxMessageEntity, {
    subject,
    eventId: msgId,
    event: body as never,
    headers: traceContextToRecord(),
  });
}
