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

/** Where the `type` URIs of the API's problems live: `<base><code-lowercased-with-dashes>`. */
export const PROBLEM_TYPE_BASE = 'https://lockstep.dev/problems/';

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The problem `type` URI of an error code: `INVALID_REQUEST` → `https://lockstep.dev/problems/invalid-request`. */
export const problemType = (code: string): string => `${PROBLEM_TYPE_BASE}${code.toLowerCase().replace(/_/g, '-')}`;

/**
 * The error every endpoint answers with a 4xx or 5xx status: an RFC 9457 problem
 * (`application/problem+json`) carrying the project's error code.
 */
export const ApiErrorBody = z.object({
  /** A URI naming the kind of problem: `https://lockstep.dev/problems/<code-lowercased-with-dashes>`. */
  type: z.string().describe('a URI naming the kind of problem (derived from code)'),
  /** The HTTP status's reason phrase (`Bad Request`, `Forbidden`, …). */
  title: z.string(),
  /** The HTTP status, repeated. */
  status: z.number().int(),
  /** What went wrong and what to do about it; shown to operators as is. */
  detail: z.string().describe('what went wrong and what to do about it'),
  /** A stable code (`INVALID_REQUEST`, `NOT_FOUND`, `UNAUTHENTICATED`, …) scripts can match. */
  code: z.string(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
