import { z } from 'zod';
import { SubscriptionUpsertV1 } from '../queries';

/** A subscription id in a path or query: the UUID `GET /v1/subscriptions` shows. */
export const SubscriptionId = z.uuid({
  message: 'expected a subscription id (a UUID, as GET /v1/subscriptions or `lockstep subscriptions` shows)',
});

/** Body of `POST /v1/subscriptions`: the notifier's SubscriptionUpsertV1 without an id. */
export const CreateSubscriptionBody = SubscriptionUpsertV1.omit({ id: true }).strict();
export type CreateSubscriptionBody = z.infer<typeof CreateSubscriptionBody>;

/**
 * Body of `PATCH /v1/subscriptions/:id`: the fields to change. `target` is merged into the
 * stored target (send `{ url }` to move the endpoint, `{ secrets: [...] }` to rotate). The
 * channel cannot change: delete the subscription and create another.
 */
export const PatchSubscriptionBody = z
  .strictObject({
    /** A new name. */
    name: SubscriptionUpsertV1.shape.name.optional(),
    /** Target settings merged into the stored ones. */
    target: z.record(z.string(), z.unknown()).optional(),
    /** Event-name filters replacing the stored ones. */
    eventTypes: z.array(z.string()).min(1).optional(),
    /** Send to it (true) or not (false). */
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'send at least one of name, target, eventTypes, enabled',
  });
export type PatchSubscriptionBody = z.infer<typeof PatchSubscriptionBody>;

// Answers: `GET /v1/subscriptions` lists SubscriptionViewV1; creating or changing one answers
// the notifier's SubscriptionUpsertReplyV1 as it came (both in ../queries).
