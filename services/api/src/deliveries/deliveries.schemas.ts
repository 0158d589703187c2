import { z } from 'zod';
import { DeadLetterReplayV1 } from '@lockstep/contracts';
import { DeliveryStatus } from '@lockstep/persistence';
import { LimitParam, SubscriptionId } from '../http/query-params';

/** Every delivery status. */
export const DeliveryStatuses = Object.values(DeliveryStatus) as [DeliveryStatus, ...DeliveryStatus[]];

/** Event filter: an event name (`release.available`), a prefix (`release.*`) or an event id. */
const EventFilter = z.string().min(1).max(200);

/** Query of `GET /v1/deliveries`. */
export const ListDeliveriesQuery = z.strictObject({
  subscription: SubscriptionId.optional(),
  status: z.enum(DeliveryStatuses, { message: `status must be one of ${DeliveryStatuses.join(', ')}` }).optional(),
  event: EventFilter.optional(),
  limit: LimitParam,
});
export type ListDeliveriesQuery = z.infer<typeof ListDeliveriesQuery>;

/** Query of `GET /v1/dead-letters`. */
export const ListDeadLettersQuery = ListDeliveriesQuery.omit({ status: true });
export type ListDeadLettersQuery = z.infer<typeof ListDeadLettersQuery>;

/** Body of `POST /v1/dead-letters/replay`: one delivery, the dead ones of one subscription, or (empty body) all. */
export const ReplayDeadLettersBody = DeadLetterReplayV1.extend({ subscriptionId: SubscriptionId.optional() }).strict();
export type ReplayDeadLettersBody = z.infer<typeof ReplayDeadLettersBody>;

/** The filter the repository applies. */
export interface DeliveryFilter {
  subscription?: string;
  status?: DeliveryStatus;
  event?: string;
  limit: number;
}

/** One HTTP attempt of a delivery. */
export const DeliveryAttemptViewSchema = z.object({
  /** 1-based attempt number. */
  attempt: z.number().int(),
  startedAt: z.string(),
  durationMs: z.number().int(),
  /** delivered, retry, gone, refused, failed_permanently. */
  outcome: z.string(),
  /** HTTP status of the answer; null when there was none (connection failed, timed out). */
  statusCode: z.number().int().nullable(),
  /** First characters of the response body (at most 200). */
  response: z.string().nullable(),
  error: z.string().nullable(),
});
export type DeliveryAttemptView = z.infer<typeof DeliveryAttemptViewSchema>;

/** One event on its way to one subscription, with its attempts (oldest first). */
export const DeliveryViewSchema = z.object({
  /** Stable across retries; the `webhook-id` header. */
  id: z.string(),
  subscriptionId: z.string(),
  /** Null when the subscription was deleted since. */
  subscriptionName: z.string().nullable(),
  eventId: z.string(),
  /** Short event name, e.g. `release.available`. */
  eventName: z.string(),
  /** What the event is about (the component), when it says. */
  eventSubject: z.string().nullable(),
  status: z.enum(DeliveryStatuses),
  attemptCount: z.number().int(),
  /** When the next attempt is due (pending deliveries only). */
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  attempts: z.array(DeliveryAttemptViewSchema),
});
export type DeliveryView = z.infer<typeof DeliveryViewSchema>;

/** Longest response preview returned per attempt. */
export const RESPONSE_PREVIEW_CHARS = 200;
