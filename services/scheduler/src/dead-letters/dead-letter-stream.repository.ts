import { Injectable } from '@nestjs/common';
import { DeadLetterHeaders, Streams } from '@lockstep/contracts';
import { NatsClient } from '@lockstep/messaging';
import type { MsgRequest, NextMsgRequest, StoredMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { createHash } from 'node:crypto';
import { redriveTarget } from './redrive-target';

/** One message of the namespace's DEAD_LETTERS stream. */
export interface StoredDeadLetter {
  seq: number;
  /** Its subject in DEAD_LETTERS, relative to the namespace (`dlq.<subject>`). */
  subject: string;
  /**
   * Where it was published first, relative to the namespace; null when its headers name no
   * contract subject that its dead-letter subject is for (a re-drive refuses it; see redriveTarget).
   */
  originalSubject: string | null;
  /** The service whose consumer gave up on it (older dead letters do not say). */
  service: string | null;
  reason: string | null;
  /** The CloudEvent id (a command's idempotency key), when the body says. */
  eventId: string | null;
  at: Date;
  message: StoredMsg;
}

/**
 * The scheduler's reads and writes of the DEAD_LETTERS stream (its NATS user alone may read it,
 * delete from it, and publish dead letters again; see nats-permissions). Pages through the
 * stream with `next_by_subj`, so deleted sequences cost nothing.
 */
@Injectable()
export class DeadLetterStream {
  constructor(private readonly nats: NatsClient) {}

  private get stream(): string {
    return this.nats.stream(Streams.DeadLetters.name);
  }

  /** Up to `limit` dead letters, oldest first. */
  async list(limit: number): Promise<StoredDeadLetter[]> {
    await this.nats.connect();
    const found: StoredDeadLetter[] = [];
    let seq = 1;
    while (found.length < limit) {
      // STREAM.MSG.GET takes next_by_subj (nats-server 2.9+), though nats.js types it for direct gets only
      const next: NextMsgRequest = { seq, next_by_subj: this.nats.subject(Streams.DeadLetters.subjects[0]) };
      const m = await this.nats.jsm.streams.getMessage(this.stream, next as unknown as MsgRequest);
      if (!m) break;
      found.push(this.toDeadLetter(m));
      seq = m.seq + 1;
    }
    return found;
  }

  /** Dead letter `seq`, or undefined when the stream holds none under that sequence. */
  async get(seq: number): Promise<StoredDeadLetter | undefined> {
    await this.nats.connect();
    const m = await this.nats.jsm.streams.getMessage(this.stream, { seq });
    return m ? this.toDeadLetter(m) : undefined;
  }

  /**
   * Publishes the dead letter again, its bytes (so its event id) unchanged, to its original
   * subject with a fresh Nats-Msg-Id, and removes it from DEAD_LETTERS once the publish is
   * acknowledged. A crash in between re-drives it twice at worst: consumers drop a repeated
   * event id, and agents a repeated command id.
   */
  async redrive(letter: StoredDeadLetter & { originalSubject: string }): Promise<void> {
    const h = natsHeaders();
    for (const key of letter.message.header?.keys() ?? []) {
      if (key.startsWith('Nats-') || Object.values(DeadLetterHeaders).includes(key as never)) continue;
      for (const value of letter.message.header.values(key)) h.append(key, value);
    }
    const digest = createHash('sha256').update(letter.message.data).digest('base64url').slice(0, 22);
    await this.nats.js.publish(this.nats.subject(letter.originalSubject), letter.message.data, {
      headers: h,
      msgID: `redrive-${letter.seq}-${digest}`,
    });
    await this.nats.jsm.streams.deleteMessage(this.stream, letter.seq, false);
  }

  /** Removes dead letter `seq` for good (an operator's discard). */
  async discard(seq: number): Promise<void> {
    await this.nats.connect();
    await this.nats.jsm.streams.deleteMessage(this.stream, seq, false);
  }

  private toDeadLetter(m: StoredMsg): StoredDeadLetter {
    const prefix = `${this.nats.options.namespace}.`;
    const subject = m.subject.slice(prefix.length);
    const header = (name: string) => m.header?.get(name) || null;
    return {
      seq: m.seq,
      subject,
      originalSubject: originalOf(subject, header(DeadLetterHeaders.OriginalSubject), prefix),
      service: header(DeadLetterHeaders.Service),
      reason: header(DeadLetterHeaders.Reason),
      eventId: eventIdOf(m),
      at: m.time,
      message: m,
    };
  }
}

/**
 * The subject a dead letter goes back to: the one its header names, when it is a subject a
 * re-drive may publish and its dead-letter subject is that subject's (redriveTarget). A header
 * alone is not believed: every consumer may write dead letters of what it consumes, and its
 * header must not make the scheduler publish anything else.
 */
function originalOf(dlqSubject: string, header: string | null, prefix: string): string | null {
  if (!header?.startsWith(prefix)) return null;
  return redriveTarget(dlqSubject, header.slice(prefix.length));
}

function eventIdOf(m: StoredMsg): string | null {
  try {
    const body = m.json<{ id?: unknown; commandId?: unknown }>();
    const id = body?.id ?? body?.commandId;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}
