import { z } from 'zod';

/**
 * The kinds of dead letter (wire names): a notifier delivery that exhausted its retries, a
 * stream message a consumer gave up on (the namespace's DEAD_LETTERS stream), an outbox row
 * NATS could never take (table `outbox_dead_letters`).
 */
export const DeadLetterKind = {
  /** A webhook/Slack/Discord delivery of the notifier, status dead; replayed by the notifier. */
  Delivery: 'delivery',
  /** A message in the DEAD_LETTERS stream; re-driven by the scheduler to its original subject. */
  Message: 'message',
  /** A row of outbox_dead_letters; re-driven by the scheduler back into the outbox. */
  Outbox: 'outbox',
} as const;
export type DeadLetterKind = (typeof DeadLetterKind)[keyof typeof DeadLetterKind];
export const DeadLetterKinds = Object.values(DeadLetterKind) as [DeadLetterKind, ...DeadLetterKind[]];

/** The kinds the scheduler re-drives (`qry.scheduler.dead-letter-redrive.v1`). */
export const RedrivableKinds = [DeadLetterKind.Message, DeadLetterKind.Outbox] as const;
export type RedrivableKind = (typeof RedrivableKinds)[number];

/** One dead letter of any kind, as `lockstep dead-letters` lists it. */
export const DeadLetterView = z.object({
  /** delivery, message or outbox. */
  kind: z.enum(DeadLetterKinds),
  /** What to re-drive it by: the delivery id, the DEAD_LETTERS stream sequence, the outbox row id. */
  id: z.string(),
  /** The subject it was published on (without the namespace), or the event name of a delivery. */
  subject: z.string(),
  /** The CloudEvent id (a command's idempotency key), when known. */
  eventId: z.string().nullable(),
  /** Why it was given up on. */
  reason: z.string().nullable(),
  /** When it was given up on (RFC 3339). */
  at: z.string(),
  /** Messages: the service (or `agent-<nodeId>`) whose consumer gave up, and a re-drive reaches again; null for the others. */
  service: z.string().nullable(),
  /** Deliveries: the subscription it goes to; null for the others. */
  subscriptionId: z.string().nullable(),
});
export type DeadLetterView = z.infer<typeof DeadLetterView>;

/** Request of `qry.scheduler.dead-letter-list.v1`: the oldest messages of the DEAD_LETTERS stream. */
export const DeadLetterListV1 = z.object({
  /** Most messages answered (1..1000). */
  limit: z.number().int().min(1).max(1000).default(200),
});
export type DeadLetterListV1 = z.infer<typeof DeadLetterListV1>;

/** Reply of `qry.scheduler.dead-letter-list.v1`. */
export interface DeadLetterListReplyV1 {
  /** Oldest first, kind `message`. */
  items: DeadLetterView[];
}

/** Largest outbox dead letter id (its column is a Postgres bigint). */
const MAX_OUTBOX_ID = 9223372036854775807n;

/** The id of an outbox dead letter, as `lockstep dead-letters` lists it: digits, within bigint range. */
export const OutboxDeadLetterId = z
  .string()
  .regex(/^\d+$/, 'outboxId is the numeric id `lockstep dead-letters` lists')
  .refine((s) => !/^\d+$/.test(s) || BigInt(s) <= MAX_OUTBOX_ID, {
    message: `outboxId is larger than any outbox id (at most ${MAX_OUTBOX_ID}); copy the id \`lockstep dead-letters --kind outbox\` lists`,
  });

/**
 * Request of `qry.scheduler.dead-letter-redrive.v1`: one stream message (`seq`), one outbox
 * dead letter (`outboxId`), or (neither) every one of `kind` (both kinds when absent).
 */
export const DeadLetterRedriveV1 = z.object({
  /** Re-drive every dead letter of this kind only. */
  kind: z.enum(RedrivableKinds).optional(),
  /** Re-drive this message of the DEAD_LETTERS stream (its sequence). */
  seq: z.coerce.number().int().positive().optional(),
  /** Re-drive this outbox dead letter (its row id). */
  outboxId: OutboxDeadLetterId.optional(),
});
export type DeadLetterRedriveV1 = z.infer<typeof DeadLetterRedriveV1>;

/**
 * Request of `qry.scheduler.dead-letter-discard.v1`: drop one stream message (`seq`) or one
 * outbox dead letter (`outboxId`) for good, after an operator read it (audited).
 */
export const DeadLetterDiscardV1 = z.object({
  /** Drop this message of the DEAD_LETTERS stream (its sequence). */
  seq: z.coerce.number().int().positive().optional(),
  /** Drop this outbox dead letter (its row id). */
  outboxId: OutboxDeadLetterId.optional(),
});
export type DeadLetterDiscardV1 = z.infer<typeof DeadLetterDiscardV1>;

/** Reply of `qry.scheduler.dead-letter-discard.v1`. */
export const DeadLetterDiscardReplyV1 = z.object({
  /** What was dropped: its kind, id, subject. */
  discarded: z.object({ kind: z.enum(RedrivableKinds), id: z.string(), subject: z.string() }),
});
export type DeadLetterDiscardReplyV1 = z.infer<typeof DeadLetterDiscardReplyV1>;

/** One dead letter a re-drive put back on its way. */
export const RedrivenV1 = z.object({
  /** message or outbox. */
  kind: z.enum(RedrivableKinds),
  /** Its stream sequence or outbox row id (gone from the dead letters now). */
  id: z.string(),
  /** The subject it was published to again (without the namespace). */
  subject: z.string(),
  /** Messages: the service whose consumer gets it again; null for outbox rows. */
  service: z.string().nullable(),
});
export type RedrivenV1 = z.infer<typeof RedrivenV1>;

/** One dead letter a re-drive left where it is (or could not publish), and why. */
export const RedriveProblemV1 = z.object({
  kind: z.enum(RedrivableKinds),
  /** Its stream sequence or outbox row id. */
  id: z.string(),
  /** Why, and what to do about it. */
  problem: z.string(),
});
export type RedriveProblemV1 = z.infer<typeof RedriveProblemV1>;

/** Reply of `qry.scheduler.dead-letter-redrive.v1`. */
export const DeadLetterRedriveReplyV1 = z.object({
  /** What went back on its way, oldest first. */
  redriven: z.array(RedrivenV1),
  /** Outbox dead letters removed without a new outbox row: their event already waits in the outbox. */
  skipped: z.array(z.object({ kind: z.literal(DeadLetterKind.Outbox), id: z.string(), eventId: z.string() })),
  /** What stays a dead letter, each with why (a re-drive of every one goes on past them). */
  problems: z.array(RedriveProblemV1),
});
export type DeadLetterRedriveReplyV1 = z.infer<typeof DeadLetterRedriveReplyV1>;

/** Codes of the scheduler's refusals to re-drive. */
export const DeadLetterErrorCode = {
  /** The stream message or outbox row named is not (or no longer) a dead letter. */
  NotFound: 'NOT_FOUND',
  /** None of the dead letters found could go back on its way (the message says why; HTTP 409). */
  NothingRedriven: 'NOTHING_REDRIVEN',
} as const;

/**
 * Event `message.dead_lettered` (`evt.message.dead-lettered.v1`): a message was given up on and
 * now waits in the dead letters for an operator (an alert: subscriptions receive it). Published by
 * the service whose outbox relay or event consumer gave up; `lockstep dead-letters replay --outbox
 * <id>` or `--message <id>` re-drives it once the cause is fixed.
 */
export const MessageDeadLetteredV1 = z.object({
  /** `outbox` (a row NATS can never take) or `message` (a stream message a consumer gave up on). */
  kind: z.enum(RedrivableKinds),
  /** What to re-drive it by: the outbox dead letter's id, or the DEAD_LETTERS stream sequence. */
  id: z.string(),
  /** The service that gave up on it. */
  service: z.string(),
  /** The subject it was (to be) published on, without the namespace. */
  subject: z.string(),
  /** The CloudEvent id (a command's idempotency key), when known. */
  eventId: z.string().nullable(),
  /** Why it was given up on. */
  reason: z.string(),
});
export type MessageDeadLetteredV1 = z.infer<typeof MessageDeadLetteredV1>;
