import { Injectable, Logger } from '@nestjs/common';
import {
  DeadLetterErrorCode,
  DeadLetterKind,
  QueryErrorCode,
  type Audited,
  type DeadLetterListReplyV1,
  type DeadLetterListV1,
  type DeadLetterRedriveReplyV1,
  type DeadLetterRedriveV1,
  type DeadLetterView,
  type QueryReply,
  type RedrivenV1,
} from '@lockstep/contracts';
import { AuditRepository } from '../audit/audit.repository';
import { DeadLetterStream, type StoredDeadLetter } from './dead-letter-stream.repository';
import { OutboxDeadLettersRepository } from './outbox-dead-letters.repository';

/** Most stream messages one `--all` re-drive takes (run it again for the rest). */
export const REDRIVE_BATCH = 1000;

const fail = (code: string, message: string) => ({ ok: false as const, error: { code, message } });

/** A refusal found inside the re-drive's transaction, which it rolls back. */
class NothingToRedriveError extends Error {
  override name = 'NothingToRedriveError';
}

/**
 * Lists the DEAD_LETTERS stream and re-drives stream and outbox dead letters for an operator.
 * Each re-drive request writes one audit record (`dead-letter.redrive`) naming what went back
 * on its way; outbox rows move in the transaction of that record.
 */
@Injectable()
export class DeadLettersService {
  private readonly logger = new Logger(DeadLettersService.name);

  constructor(
    private readonly stream: DeadLetterStream,
    private readonly outbox: OutboxDeadLettersRepository,
    private readonly audit: AuditRepository,
  ) {}

  async list(req: DeadLetterListV1): Promise<QueryReply<DeadLetterListReplyV1>> {
    return { ok: true, result: { items: (await this.stream.list(req.limit)).map(messageView) } };
  }

  async redrive(req: Audited<DeadLetterRedriveV1>): Promise<QueryReply<DeadLetterRedriveReplyV1>> {
    if (req.seq !== undefined && req.outboxId !== undefined)
      return fail(QueryErrorCode.InvalidRequest, 'name one dead letter: a message (seq) or an outbox row (outboxId)');
    const named = req.seq !== undefined || req.outboxId !== undefined;
    const wantMessages = req.outboxId === undefined && (named || req.kind !== DeadLetterKind.Outbox);
    const wantOutbox = req.seq === undefined && (named || req.kind !== DeadLetterKind.Message);

    let letters: StoredDeadLetter[] = [];
    if (wantMessages && req.seq !== undefined) {
      const letter = await this.stream.get(req.seq);
      if (!letter)
        return fail(
          DeadLetterErrorCode.NotFound,
          `the dead-letter stream holds no message ${req.seq} (re-driven already?); list them with \`lockstep dead-letters --kind message\``,
        );
      letters = [letter];
    } else if (wantMessages) letters = await this.stream.list(REDRIVE_BATCH);

    const redriven: RedrivenV1[] = [];
    const problems: string[] = [];
    for (const letter of letters) {
      const { originalSubject } = letter;
      if (!originalSubject) {
        problems.push(`message ${letter.seq} names no subject that ${letter.subject} covers; it stays`);
        continue;
      }
      try {
        await this.stream.redrive({ ...letter, originalSubject });
      } catch (err) {
        problems.push(`message ${letter.seq}: ${(err as Error).message}`);
        break; // NATS refused or went away: the rest waits for the next attempt
      }
      redriven.push({
        kind: DeadLetterKind.Message,
        id: String(letter.seq),
        subject: originalSubject,
        service: letter.service,
      });
    }

    const outboxIds = !wantOutbox ? [] : req.outboxId !== undefined ? [req.outboxId] : 'all';
    const target =
      req.seq !== undefined
        ? `message#${req.seq}`
        : req.outboxId !== undefined
          ? `outbox#${req.outboxId}`
          : `all:${req.kind ?? 'message+outbox'}`;
    try {
      await this.outbox.redrive(outboxIds, async (m, moved) => {
        if (req.outboxId !== undefined && moved.length === 0)
          throw new NothingToRedriveError(
            `outbox_dead_letters holds no row ${req.outboxId} (re-driven already?); list them with \`lockstep dead-letters --kind outbox\``,
          );
        for (const row of moved)
          redriven.push({ kind: DeadLetterKind.Outbox, id: row.id, subject: row.subject, service: null });
        await this.audit.recordIn(m, {
          actor: req.actor,
          action: 'dead-letter.redrive',
          target,
          params: { kind: req.kind ?? null, redriven, ...(problems.length ? { problems } : {}) },
        });
      });
    } catch (err) {
      if (!(err instanceof NothingToRedriveError)) throw err;
      return fail(DeadLetterErrorCode.NotFound, err.message);
    }
    if (problems.length) {
      this.logger.warn(`re-drive for ${req.actor.name}: ${problems.join('; ')}`);
      return fail(
        DeadLetterErrorCode.RedriveIncomplete,
        `re-drove ${redriven.length} dead letter(s), but not all: ${problems.join('; ')}. Run the re-drive again once the cause is fixed`,
      );
    }
    return { ok: true, result: { redriven } };
  }
}

function messageView(l: StoredDeadLetter): DeadLetterView {
  return {
    kind: DeadLetterKind.Message,
    id: String(l.seq),
    subject: l.originalSubject ?? l.subject,
    eventId: l.eventId,
    reason: l.reason,
    at: l.at.toISOString(),
    service: l.service,
    subscriptionId: null,
  };
}
