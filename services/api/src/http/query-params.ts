import { z } from 'zod';

const LIMIT_MESSAGE = 'limit must be a whole number from 1 to 200';

/** A `limit` query parameter: a whole number 1..200, default 50. */
export const LimitParam = z.coerce
  .number({ message: LIMIT_MESSAGE })
  .int({ message: LIMIT_MESSAGE })
  .min(1, { message: LIMIT_MESSAGE })
  .max(200, { message: LIMIT_MESSAGE })
  .default(50);

/** A subscription id in a path or query: the UUID `GET /v1/subscriptions` shows. */
export const SubscriptionId = z.uuid({
  message: 'expected a subscription id (a UUID, as GET /v1/subscriptions or `lockstep subscriptions` shows)',
});
