import { z } from 'zod';
import { DeadLetterDiscardV1, DeadLetterKinds, DeadLetterRedriveV1, DeadLetterView } from '../dead-letter-queries';
import { DeadLetterReplayV1 } from '../queries';
import { LimitParam } from './common';
import { SubscriptionId } from './subscriptions';

/** Delivery states: pending (waiting or retrying), delivered, dead (exhausted, replayable), cancelled. */
export const DeliveryStatus = {
  /** Waiting for its first attempt or for a retry. */
  Pending: 'pending',
  /** The endpoint accepted it. */
  Delivered: 'delivered',
  /** The notifier gave up on it (retries exhausted, or refused for good); replayable. */
  Dead: 'dead',
  /** Dropped without delivery: the subscription is gone or disabled, or its endpoint answered 410 Gone. */
  Cancelled: 'cancelled',
} as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** Every delivery status. */
export const DeliveryStatuses = Object.values(DeliveryStatus) as [DeliveryStatus, ...DeliveryStatus[]];

/** Event filter: an event name (`release.available`), a prefix (`release.*`) or an event id. */
const EventFilter = z.string().min(1).max(200);

/** Query of `GET /v1/deliveries`. */
export const ListDeliveriesQuery = z.strictObject({
  /** Only deliveries to this subscription. */
  subscription: SubscriptionId.optional(),
  /** Only deliveries in this state. */
  status: z.enum(DeliveryStatuses, { message: `status must be one of ${DeliveryStatuses.join(', ')}` }).optional(),
  /** Only deliveries of events matching: a name (`release.available`), a prefix (`release.*`) or an event id. */
  event: EventFilter.optional(),
  /** Most deliveries answered (1..200, default 50). */
  limit: LimitParam,
});
export type ListDeliveriesQuery = z.infer<typeof ListDeliveriesQuery>;

/** Query of `GET /v1/dead-letters`: every kind of dead letter, or one (`kind`); `subscription` and `event` narrow deliveries. */
export const ListDeadLettersQuery = ListDeliveriesQuery.omit({ status: true }).extend({
  /** Only dead letters of this kind: delivery, message or outbox. */
  kind: z.enum(DeadLetterKinds, { message: `kind must be one of ${DeadLetterKinds.join(', ')}` }).optional(),
});
export type ListDeadLettersQuery = z.infer<typeof ListDeadLettersQuery>;

/** Body of `POST /v1/dead-letters/replay`: one delivery, the dead ones of one subscription, or (empty body) all. */
export const ReplayDeadLettersBody = DeadLetterReplayV1.extend({ subscriptionId: SubscriptionId.optional() }).strict();
export type ReplayDeadLettersBody = z.infer<typeof ReplayDeadLettersBody>;

/** Body of `POST /v1/dead-letters/redrive`: one stream message, one outbox dead letter, or every one (of `kind`). */
export const RedriveDeadLettersBody = DeadLetterRedriveV1.strict();
export type RedriveDeadLettersBody = z.infer<typeof RedriveDeadLettersBody>;

/** Body of `POST /v1/dead-letters/discard`: one stream message or one outbox dead letter, dropped for good. */
export const DiscardDeadLetterBody = DeadLetterDiscardV1.strict();
export type DiscardDeadLetterBody = z.infer<typeof DiscardDeadLetterBody>;

/** Answer of `GET /v1/dead-letters`: the dead letters, and what could not be listed (e.g. the scheduler is down). */
export const DeadLetterList = z.object({
  items: z.array(DeadLetterView),
  /** Kinds left out, each with why and what to do; empty when the list is complete. */
  warnings: z.array(z.string()),
});
export type DeadLetterList = z.infer<typeof DeadLetterList>;

/** One HTTP attempt of a delivery. */
export const DeliveryAttemptView = z.object({
  /** 1-based attempt number. */
  attempt: z.number().int(),
  /** When the request was sent (RFC 3339). */
  startedAt: z.string(),
  /** How long the endpoint took to answer (or to fail). */
  durationMs: z.number().int(),
  /** delivered, retry, gone, refused, failed_permanently. */
  outcome: z.string(),
  /** HTTP status of the answer; null when there was none (connection failed, timed out). */
  statusCode: z.number().int().nullable(),
  /** First characters of the response body (at most 200). */
  response: z.string().nullable(),
  /** Why the attempt failed, when it did. */
  error: z.string().nullable(),
});
export type DeliveryAttemptView = z.infer<typeof DeliveryAttemptView>;

/** One event on its way to one subscription, with its attempts (oldest first). */
export const DeliveryView = z.object({
  /** Stable across retries; the `webhook-id` header. */
  id: z.string(),
  /** The subscription it goes to. */
  subscriptionId: z.string(),
  /** Null when the subscription was deleted since. */
  subscriptionName: z.string().nullable(),
  /** The CloudEvent's id. */
  eventId: z.string(),
  /** Short event name, e.g. `release.available`. */
  eventName: z.string(),
  /** What the event is about (the component), when it says. */
  eventSubject: z.string().nullable(),
  /** pending, delivered, dead or cancelled. */
  status: z.enum(DeliveryStatuses),
  /** Attempts made so far. */
  attemptCount: z.number().int(),
  /** When the next attempt is due (pending deliveries only). */
  nextAttemptAt: z.string().nullable(),
  /** Why the last attempt failed. */
  lastError: z.string().nullable(),
  /** When the notifier took the event for this subscription (RFC 3339). */
  createdAt: z.string(),
  /** When it was delivered, died or was cancelled. */
  finishedAt: z.string().nullable(),
  /** Every attempt, oldest first. */
  attempts: z.array(DeliveryAttemptView),
});
export type DeliveryView = z.infer<typeof DeliveryView>;
