import { z } from 'zod';
import { formatIssues } from './validation';

/** A query's failure, returned as data so callers can show the message. */
export interface QueryError {
  code: string;
  message: string;
}
/** Reply of every operator query: the result or an error that says what to do. */
export type QueryReply<T> = { ok: true; result: T } | { ok: false; error: QueryError };

/** Request of `qry.notifier.subscription-upsert.v1`. */
export const SubscriptionUpsertV1 = z.object({
  /** Present to update an existing subscription. */
  id: z.string().uuid().optional(),
  name: z.string().min(1).max(200),
  /** `webhook`, `slack` or `discord`. */
  channel: z.string(),
  /** Channel target settings: `{ url, secrets? }`. */
  target: z.record(z.string(), z.unknown()),
  /** Event-name filters (`release.available`, `check.*`, `*`). */
  eventTypes: z.array(z.string()).min(1).default(['*']),
  enabled: z.boolean().default(true),
});
export type SubscriptionUpsertV1 = z.infer<typeof SubscriptionUpsertV1>;

/** A subscription as the API shows it: secrets and URL tokens masked. */
export interface SubscriptionViewV1 {
  id: string;
  name: string;
  channel: string;
  /** URL with path tokens masked for Slack/Discord. */
  url: string;
  /** How many signing secrets are set (values never leave the notifier after creation). */
  secretCount: number;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
}

/** Request of `qry.notifier.subscription-delete.v1`. */
export const SubscriptionDeleteV1 = z.object({ id: z.string().uuid() });

/** Request of `qry.notifier.dead-letter-replay.v1`: replay one delivery or all dead ones (optionally of one subscription). */
export const DeadLetterReplayV1 = z.object({
  deliveryId: z.string().optional(),
  subscriptionId: z.string().uuid().optional(),
});
export type DeadLetterReplayV1 = z.infer<typeof DeadLetterReplayV1>;

/** Request of `qry.checker.check-now.v1`: check one component or all. */
export const CheckNowV1 = z.object({ component: z.string().optional() });
export type CheckNowV1 = z.infer<typeof CheckNowV1>;

/** Result of a check of one component. */
export interface CheckResultV1 {
  component: string;
  ok: boolean;
  /** Versions announced by this check. */
  announced: string[];
  error?: { code: string; reason: string };
}

/** Request of `qry.checker.component-upsert.v1`. */
export const ComponentUpsertV1 = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'component names are lowercase letters, digits, dot, dash, underscore'),
  scheme: z.string().default('semver'),
  channel: z.enum(['stable', 'beta', 'alpha']).default('stable'),
  currentVersion: z.string().nullable().default(null),
  sourceType: z.string(),
  sourceConfig: z.record(z.string(), z.unknown()).default({}),
});
export type ComponentUpsertV1 = z.infer<typeof ComponentUpsertV1>;

/** Parses a query request; returns a QueryReply error instead of throwing. */
export function parseQuery<S extends z.ZodTypeAny>(
  schema: S,
  raw: unknown,
): { ok: true; value: z.infer<S> } | { ok: false; error: QueryError } {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    error: {
      code: 'INVALID_REQUEST',
      message: formatIssues(r.error),
    },
  };
}
