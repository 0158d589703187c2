import type { EntityManager } from 'typeorm';
import { OutboxDeadLetterEntity } from '../entities';
import { markOutboxWritten } from './outbox';

/** An outbox dead letter put back into the outbox. */
export interface RedrivenOutboxRow {
  /** Its id in outbox_dead_letters (its first place in the outbox). */
  id: string;
  /** Its new id in the outbox. */
  outboxId: string;
  subject: string;
  eventId: string;
}

/** Outbox dead letters, oldest first. */
export function listOutboxDeadLetters(m: EntityManager, limit: number): Promise<OutboxDeadLetterEntity[]> {
  return m.find(OutboxDeadLetterEntity, { order: { id: 'ASC' }, take: limit });
}

/** What a re-drive of outbox dead letters did. */
export interface OutboxRedrive {
  /** Back in the outbox. */
  moved: RedrivenOutboxRow[];
  /** Removed without a new outbox row: their event already waits in the outbox (it goes out once). */
  skipped: Omit<RedrivenOutboxRow, 'outboxId'>[];
}

/**
 * Moves outbox dead letters (`ids`, or every one) back into the outbox inside the caller's
 * transaction, so deleting the dead letter and re-inserting the row commit together. Each gets a
 * new id, the end of the line: the relay publishes it after every row of its aggregate already
 * waiting (the aggregate's order among rows still to go), with its original event id as
 * Nats-Msg-Id. The relay publishes it once the transaction commits (or at its next poll, for a
 * row another service relays). A dead letter whose event id is already in the outbox (written
 * again meanwhile) is removed and reported as skipped: that row publishes the event.
 */
export async function redriveOutboxDeadLetters(m: EntityManager, ids: string[] | 'all'): Promise<OutboxRedrive> {
  const rows: { id: string; outbox_id: string | null; subject: string; event_id: string }[] = await m.query(
    `WITH moved AS (
       DELETE FROM outbox_dead_letters WHERE ($1::bigint[] IS NULL OR id = ANY($1::bigint[])) RETURNING *
     ), inserted AS (
       INSERT INTO outbox (subject, event_id, aggregate, event, headers)
       SELECT subject, event_id, aggregate, event, headers FROM moved ORDER BY id
       ON CONFLICT (event_id) DO NOTHING
       RETURNING id, event_id
     )
     SELECT d.id::text, i.id::text AS outbox_id, d.subject, d.event_id
     FROM moved d LEFT JOIN inserted i USING (event_id) ORDER BY d.id`,
    [ids === 'all' ? null : ids],
  );
  const moved = rows.filter((r) => r.outbox_id !== null);
  if (moved.length > 0) markOutboxWritten(m);
  return {
    moved: moved.map((r) => ({ id: r.id, outboxId: r.outbox_id!, subject: r.subject, eventId: r.event_id })),
    skipped: rows
      .filter((r) => r.outbox_id === null)
      .map((r) => ({ id: r.id, subject: r.subject, eventId: r.event_id })),
  };
}
