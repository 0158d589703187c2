import { Injectable, Logger } from '@nestjs/common';
import {
  DeadLetterErrorCode,
  DeadLetterKind,
  QueryErrorCode,
  type Audited,
  type DeadLetterDiscardReplyV1,
  type DeadLetterDiscardV1,
  type DeadLetterListReplyV1,
  type DeadLetterListV1,
  type DeadLetterRedriveReplyV1,
  type DeadLetterRedriveV1,
  type DeadLetterView,
  type QueryReply,
  type RedriveProblemV1,
  type RedrivenV1,
} from '@lockstep/contracts';
import { isInfrastructureOutage } from '@lockstep/messaging';
import { AuditRepository } from '../audit/audit.repository';
import { DeadLetterStream, type StoredDeadLetter } from './dead-letter-stream.repository';
import { OutboxDeadLettersRepository } from './outbox-dead-letters.repository';

/** Most stream messages one `--all` re-drive takes (run it again for the rest). */
export const REDRIVE_BATCH = 1000;

const fail = (code: string, message: string) => ({ ok: false as const, error: { code, message } });

/** A refusal found inside a transaction, which it rolls back. */
class NothingThereError extends Error {
  override name = 'NothingThereError';
}

const messageMissing = (seq: number) =>
  `the dead-letter stream holds no message ${seq} (re-driven or discarded already?); list them with \`lockstep dead-letters --kind message\``;
const outboxMissing = (id: string) =>
  `outbox_dead_letters holds no row ${id} (re-driven or discarded already?); list them with \`lockstep dead-letters --kind outbox\``;

/**
 * Lists the DEAD_LETTERS stream, re-drives stream and outbox dead letters, and discards one for
 * an operator. Each request writes one audit record (`dead-letter.redrive`, `dead-letter.discard`)
 * that commits before anything is published or deleted, so nothing is re-driven unaudited; outbox
 * rows move in the transaction of that record.
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
      if (!letter) return fail(DeadLetterErrorCode.NotFound, messageMissing(req.seq));
      letters = [letter];
    } else if (wantMessages) letters = await this.stream.list(REDRIVE_BATCH);

    const problems: RedriveProblemV1[] = [];
    const routable: (StoredDeadLetter & { originalSubject: string })[] = [];
    for (const letter of letters) {
      const { originalSubject } = letter;
      if (originalSubject) routable.push({ ...letter, originalSubject });
      else
        problems.push({
          kind: DeadLetterKind.Message,
          id: String(letter.seq),
          problem: `message ${letter.seq} names no subject a re-drive may publish for ${letter.subject}; it stays (read it, then drop it with \`lockstep dead-letters discard --message ${letter.seq}\`)`,
        });
    }

    const outboxIds = !wantOutbox ? [] : req.outboxId !== undefined ? [req.outboxId] : 'all';
    const target =
      req.seq !== undefined
        ? `message#${req.seq}`
        : req.outboxId !== undefined
          ? `outbox#${req.outboxId}`
          : `all:${req.kind ?? 'message+outbox'}`;
    const redriven: RedrivenV1[] = [];
    let skipped: DeadLetterRedriveReplyV1['skipped'] = [];
    try {
      // The audit record (naming the messages about to be published) commits first: a crash
      // after it re-drives less than it says, never more.
      await this.outbox.redrive(outboxIds, async (m, result) => {
        if (req.outboxId !== undefined && result.moved.length + result.skipped.length === 0)
          throw new NothingThereError(outboxMissing(req.outboxId));
        for (const row of result.moved)
          redriven.push({ kind: DeadLetterKind.Outbox, id: row.id, subject: row.subject, service: null });
        skipped = result.skipped.map((row) => ({ kind: DeadLetterKind.Outbox, id: row.id, eventId: row.eventId }));
        await this.audit.recordIn(m, {
          actor: req.actor,
          action: 'dead-letter.redrive',
          target,
          params: {
            kind: req.kind ?? null,
            messages: routable.map((l) => String(l.seq)),
            outbox: result.moved.map((r) => r.id),
            ...(skipped.length ? { skipped: skipped.map((s) => s.id) } : {}),
            ...(problems.length ? { refused: problems.map(({ id, problem }) => ({ id, problem })) } : {}),
          },
        });
      });
    } catch (err) {
      if (!(err instanceof NothingThereError)) throw err;
      return fail(DeadLetterErrorCode.NotFound, err.message);
    }

    let away: string | undefined;
    for (const letter of routable) {
      if (away) {
        problems.push({
          kind: DeadLetterKind.Message,
          id: String(letter.seq),
          problem: `message ${letter.seq} not tried: ${away}; it stays: re-drive again once NATS is back`,
        });
        continue;
      }
      try {
        await this.stream.redrive(letter);
      } catch (err) {
        // NATS refused this one: the others may still go; this one stays. NATS away: none would.
        if (isInfrastructureOutage(err)) away = (err as Error).message;
        problems.push({
          kind: DeadLetterKind.Message,
          id: String(letter.seq),
          problem: `message ${letter.seq} could not be published to ${letter.originalSubject} (${(err as Error).message}); it stays: re-drive it again once the cause is fixed`,
        });
        continue;
      }
      redriven.push({
        kind: DeadLetterKind.Message,
        id: String(letter.seq),
        subject: letter.originalSubject,
        service: letter.service,
      });
    }
    redriven.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === DeadLetterKind.Message ? -1 : 1));
    problems.sort((a, b) => Number(a.id) - Number(b.id));

    if (problems.length)
      this.logger.warn(`re-drive for ${req.actor.name}: ${problems.map((p) => p.problem).join('; ')}`);
    if (problems.length && redriven.length === 0 && skipped.length === 0)
      return fail(
        DeadLetterErrorCode.NothingRedriven,
        `re-drove nothing: ${problems.map((p) => p.problem).join('; ')}`,
      );
    return { ok: true, result: { redriven, skipped, problems } };
  }

  /** Drops one dead letter for good; its audit record commits first (naming what it drops). */
  async discard(req: Audited<DeadLetterDiscardV1>): Promise<QueryReply<DeadLetterDiscardReplyV1>> {
    if ((req.seq === undefined) === (req.outboxId === undefined))
      return fail(
        QueryErrorCode.InvalidRequest,
        'name one dead letter to discard: a message (seq) or an outbox row (outboxId)',
      );
    const record = (m: Parameters<AuditRepository['recordIn']>[0], target: string, subject: string) =>
      this.audit.recordIn(m, { actor: req.actor, action: 'dead-letter.discard', target, params: { subject } });

    if (req.outboxId !== undefined) {
      const id = req.outboxId;
      let subject = '';
      try {
        await this.outbox.discard(id, async (m, found) => {
          if (found === undefined) throw new NothingThereError(outboxMissing(id));
          subject = found;
          await record(m, `outbox#${id}`, found);
        });
      } catch (err) {
        if (!(err instanceof NothingThereError)) throw err;
        return fail(DeadLetterErrorCode.NotFound, err.message);
      }
      return { ok: true, result: { discarded: { kind: DeadLetterKind.Outbox, id, subject } } };
    }

    const seq = req.seq!;
    const letter = await this.stream.get(seq);
    if (!letter) return fail(DeadLetterErrorCode.NotFound, messageMissing(seq));
    const subject = letter.originalSubject ?? letter.subject;
    await this.audit.record({
      actor: req.actor,
      action: 'dead-letter.discard',
      target: `message#${seq}`,
      params: { subject, eventId: letter.eventId },
    });
    await this.stream.discard(seq);
    return { ok: true, result: { discarded: { kind: DeadLetterKind.Message, id: String(seq), subject } } };
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
