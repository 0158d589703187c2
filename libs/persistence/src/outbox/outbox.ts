import { createEvent, type CloudEvent, type PayloadOf, type Subject } from '@lockstep/contracts';
import { traceContextToRecord } from '@lockstep/telemetry';
import type { EntityManager, QueryRunner } from 'typeorm';
import { OutboxMessageEntity } from '../entities';

/**
 * Key in a transaction's `queryRunner.data`: the transaction wrote to the outbox. The relay,
 * a subscriber of the DataSource, publishes as soon as such a transaction commits.
 */
export const OUTBOX_WRITTEN = 'lockstep.outboxWritten';

/** True when the transaction of `queryRunner` wrote to the outbox. */
export function wroteOutbox(queryRunner: QueryRunner): boolean {
  return (queryRunner.data as Record<string, unknown>)[OUTBOX_WRITTEN] === true;
}

/** Forgets that the transaction of `queryRunner` wrote to the outbox (it committed or rolled back). */
export function forgetOutboxWrite(queryRunner: QueryRunner): void {
  delete (queryRunner.data as Record<string, unknown>)[OUTBOX_WRITTEN];
}

/**
 * Writes an event into the outbox inside the caller's transaction, so the state change
 * and its announcement commit together. The relay publishes it as soon as that commits.
 * Its aggregate is `options.subject` (the component or rollout it is about), else `subject`.
 */
export async function enqueueEvent<S extends Subject>(
  manager: EntityManager,
  subject: S,
  data: PayloadOf<S>,
  options: { source: string; subject?: string; id?: string },
): Promise<CloudEvent<PayloadOf<S>>> {
  const event = createEvent(subject, data, options);
  await writeOutbox(manager, { subject, eventId: event.id, body: event, aggregate: options.subject ?? subject });
  return event;
}

/**
 * Writes a command (plain JSON, not a CloudEvent) into the outbox inside the caller's
 * transaction; the relay publishes it to `subject` with `msgId` as Nats-Msg-Id, so the
 * request and its record commit together and a re-publish is dropped as a duplicate.
 * Commands on one subject are one aggregate unless `aggregate` says otherwise.
 */
export async function enqueueCommand(
  manager: EntityManager,
  subject: string,
  body: object,
  msgId: string,
  aggregate = subject,
): Promise<void> {
  await writeOutbox(manager, { subject, eventId: msgId, body, aggregate });
}

/** Marks the transaction of `manager` as one that wrote to the outbox, so the relay publishes when it commits. */
export function markOutboxWritten(manager: EntityManager): void {
  const runner = manager.queryRunner;
  if (runner?.isTransactionActive) (runner.data as Record<string, unknown>)[OUTBOX_WRITTEN] = true;
}

/** One outbox row to write. */
interface OutboxWrite {
  subject: string;
  eventId: string;
  body: object;
  aggregate: string;
}

/**
 * Inserts an outbox row and marks the transaction as one that wrote to the outbox. Outside a
 * transaction the insert runs in one of its own, so that its commit, too, wakes the relay.

 */
async function writeOutbox(manager: EntityManager, row: OutboxWrite): Promise<void> {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) {
    await manager.transaction((m) => writeOutbox(m, row));
    return;
  }
  await manager.insert(OutboxMessageEntity, {
    subject: row.subject,
    eventId: row.eventId,
    aggregate: row.aggregate,
    event: row.body as never,
    headers: traceContextToRecord(),
  });
  markOutboxWritten(manager);
}
