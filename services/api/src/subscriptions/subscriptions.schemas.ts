import { z } from 'zod';
import { SubscriptionUpsertV1, type SubscriptionViewV1 } from '@lockstep/contracts';

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
    name: SubscriptionUpsertV1.shape.name.optional(),
    target: z.record(z.string(), z.unknown()).optional(),
    eventTypes: z.array(z.string()).min(1).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'send at least one of name, target, eventTypes, enabled',
  });
export type PatchSubscriptionBody = z.infer<typeof PatchSubscriptionBody>;

/** A subscription as the API shows it (the contracts' SubscriptionViewV1): secrets counted, URL tokens masked. */
export const SubscriptionViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** `webhook`, `slack` or `discord`. */
  channel: z.string(),
  /** The endpoint; Slack/Discord path tokens masked, query strings dropped. */
  url: z.string(),
  /** How many signing secrets are set; their values never leave the notifier after creation. */
  secretCount: z.number().int(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  /** Why the notifier disabled it (e.g. the endpoint answered 410 Gone). */
  disabledReason: z.string().nullable(),
  createdAt: z.string(),
}) satisfies z.ZodType<SubscriptionViewV1>;

/** What creating or changing a subscription answers. */
export const SubscriptionWriteResultSchema = z.object({
  subscription: SubscriptionViewSchema,
  /** The webhook signing secret the notifier generated; present once, at creation. Store it: it is never shown again. */
  generatedSecret: z
    .string()
    .optional()
    .describe('the webhook signing secret the notifier generated; present once, at creation; it is never shown again'),
});
export type SubscriptionWriteResult = z.infer<typeof SubscriptionWriteResultSchema>;
