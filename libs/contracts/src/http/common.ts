import { z } from 'zod';

/**
 * Shapes shared by the REST API's resources (`/v1/...`). The API validates requests and
 * documents its answers (GET /v1/openapi.json) with these schemas; the CLI and the
 * dashboard read the answers with their inferred types. Changing one changes the API.
 */

const LIMIT_MESSAGE = 'limit must be a whole number from 1 to 200';

/** A `limit` query parameter: a whole number 1..200, default 50. */
export const LimitParam = z.coerce
  .number({ message: LIMIT_MESSAGE })
  .int({ message: LIMIT_MESSAGE })
  .min(1, { message: LIMIT_MESSAGE })
  .max(200, { message: LIMIT_MESSAGE })
  .default(50);

/** `{ items }`: what every list endpoint answers. */
export interface ListOf<T> {
  /** The entries, in the order the endpoint documents. */
  items: T[];
}

/** The schema of a list answer whose entries are `item`. */
export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** The error every endpoint answers with a 4xx or 5xx status. */
export const ApiErrorBody = z.object({
  /** A stable code (`INVALID_REQUEST`, `NOT_FOUND`, …) and a message that says what to do. */
  error: z.object({ code: z.string(), message: z.string().describe('what went wrong and what to do about it') }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
