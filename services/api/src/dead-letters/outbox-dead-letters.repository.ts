import { Injectable } from '@nestjs/common';
import { DeadLetterKind, type DeadLetterView } from '@lockstep/contracts';
import { listOutboxDeadLetters } from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** Reads outbox_dead_letters: outbox rows NATS could never take. */
@Injectable()
export class OutboxDeadLettersRepository {
  constructor(private readonly ds: DataSource) {}

  /** Oldest first. */
  async list(limit: number): Promise<DeadLetterView[]> {
    const rows = await listOutboxDeadLetters(this.ds.manager, limit);
    return rows.map((r) => ({
      kind: DeadLetterKind.Outbox,
      id: r.id,
      subject: r.subject,
      eventId: r.eventId,
      reason: r.reason,
      at: new Date(r.deadLetteredAt).toISOString(),
      service: null,
      subscriptionId: null,
    }));
  }
}
