import { z } from 'zod';
import { Requirements } from './requirements';
import { formatIssues } from './validation';

/** A query's failure, returned as data so callers can show the message. */
export interface QueryError {
  /** A stable code, e.g. `INVALID_REQUEST`, `NOT_FOUND`, `ROLLOUT_ACTIVE`. */
  code: string;
  /** What went wrong and what to do next. */
  message: string;
}
/**
 * Codes of query errors that more than one service answers (wire names: the API answers
 * NOT_FOUND with 404). A service's own refusals have codes of their own, next to its queries.
 */
export const QueryErrorCode = {
  /** The request does not match the query's schema. */
  InvalidRequest: 'INVALID_REQUEST',
  /** What the request names does not exist. */
  NotFound: 'NOT_FOUND',
  /** `qry.checker.release-info`: the component's source does not list that version. */
  ReleaseNotFound: 'RELEASE_NOT_FOUND',
  /** `qry.checker.component-upsert`: the source settings do not fit the source plugin. */
  InvalidSourceConfig: 'INVALID_SOURCE_CONFIG',
  /** A check failed for a reason its source did not classify (check.failed events carry it too). */
  CheckError: 'CHECK_ERROR',
  /** `qry.notifier.subscription-upsert`: the destination URL is refused (loopback, private, …). */
  DestinationRefused: 'DESTINATION_REFUSED',
  /** `qry.notifier.subscription-upsert`: an event filter names no event. */
  InvalidEventFilter: 'INVALID_EVENT_FILTER',
} as const;
export type QueryErrorCode = (typeof QueryErrorCode)[keyof typeof QueryErrorCode];

/** Reply of every operator query: the result or an error that says what to do. */
export type QueryReply<T> = { ok: true; result: T } | { ok: false; error: QueryError };

/** Request of `qry.notifier.subscription-upsert.v1`. */
export const SubscriptionUpsertV1 = z.object({
  /** Present to update an existing subscription. */
  id: z.string().uuid().optional(),
  /** The operator's name for it. */
  name: z.string().min(1).max(200),
  /** `webhook`, `slack` or `discord`. */
  channel: z.string(),
  /** Channel target settings: `{ url, secrets? }`. */
  target: z.record(z.string(), z.unknown()),
  /** Event-name filters (`release.available`, `check.*`, `*`). */
  eventTypes: z.array(z.string()).min(1).default(['*']),
  /** False to keep it without sending it anything. */
  enabled: z.boolean().default(true),
});
export type SubscriptionUpsertV1 = z.infer<typeof SubscriptionUpsertV1>;

/** A subscription as the notifier and the API show it: secrets counted, URL tokens masked. */
export const SubscriptionViewV1 = z.object({
  /** The subscription's id (a UUID). */
  id: z.string(),
  /** The operator's name for it. */
  name: z.string(),
  /** `webhook`, `slack` or `discord`. */
  channel: z.string(),
  /** The endpoint; Slack/Discord path tokens masked, query strings dropped. */
  url: z.string(),
  /** How many signing secrets are set; their values never leave the notifier after creation. */
  secretCount: z.number().int(),
  /** Event-name filters (`release.available`, `check.*`, `*`). */
  eventTypes: z.array(z.string()),
  /** False while the notifier sends it nothing. */
  enabled: z.boolean(),
  /** Why the notifier disabled it (e.g. the endpoint answered 410 Gone). */
  disabledReason: z.string().nullable(),
  /** When it was created (RFC 3339). */
  createdAt: z.string(),
});
export type SubscriptionViewV1 = z.infer<typeof SubscriptionViewV1>;

/** Reply of `qry.notifier.subscription-upsert.v1`: the subscription, and a signing secret the notifier generated. */
export const SubscriptionUpsertReplyV1 = z.object({
  /** The subscription as stored, masked. */
  subscription: SubscriptionViewV1,
  /** The webhook signing secret the notifier generated; present once, at creation. Store it: it is never shown again. */
  generatedSecret: z
    .string()
    .optional()
    .describe('the webhook signing secret the notifier generated; present once, at creation; it is never shown again'),
});
export type SubscriptionUpsertReplyV1 = z.infer<typeof SubscriptionUpsertReplyV1>;

/** Request of `qry.notifier.subscription-delete.v1`. */
export const SubscriptionDeleteV1 = z.object({ id: z.string().uuid() });

/** Reply of `qry.notifier.subscription-delete.v1` (an unknown id is a NOT_FOUND error instead). */
export interface SubscriptionDeleteReplyV1 {
  /** Always true: the subscription was removed. */
  deleted: boolean;
}

/** Request of `qry.notifier.dead-letter-replay.v1`: replay one delivery or all dead ones (optionally of one subscription). */
export const DeadLetterReplayV1 = z.object({
  /** Replay this delivery only. */
  deliveryId: z.string().optional(),
  /** Replay the dead deliveries of this subscription only. */
  subscriptionId: z.string().uuid().optional(),
});
export type DeadLetterReplayV1 = z.infer<typeof DeadLetterReplayV1>;

/** Reply of `qry.notifier.dead-letter-replay.v1`. */
export const DeadLetterReplayReplyV1 = z.object({
  /** How many dead deliveries were put back in the queue with a fresh retry schedule. */
  replayed: z.number().int(),
});
export type DeadLetterReplayReplyV1 = z.infer<typeof DeadLetterReplayReplyV1>;

/** Request of `qry.notifier.secrets-rotate.v1` (`POST /v1/secrets/rotate`): nothing to say, the key comes from settings. */
export const SecretsRotateV1 = z.object({}).strict();
export type SecretsRotateV1 = z.infer<typeof SecretsRotateV1>;

/** Reply of `qry.notifier.secrets-rotate.v1`. */
export const SecretsRotateReplyV1 = z.object({
  /** Id of the key (LOCKSTEP_SECRET_KEY) every secret is now sealed under: first 8 hex digits of its SHA-256. */
  keyId: z.string(),
  /** Rows re-sealed by this call (sealed before under a previous key, or not sealed at all). */
  resealed: z.number().int(),
  /** Rows still not sealed under the current key (each named in `problems`); 0 when rotation is complete. */
  remaining: z.number().int(),
  /** What kept a row from being re-sealed and what to do about it. */
  problems: z.array(z.string()),
});
export type SecretsRotateReplyV1 = z.infer<typeof SecretsRotateReplyV1>;

/** Request of `qry.checker.check-now.v1`: check one component or all. */
export const CheckNowV1 = z.object({
  /** The component to check; every component when absent. */
  component: z.string().optional(),
});
export type CheckNowV1 = z.infer<typeof CheckNowV1>;

/** Result of a check of one component. */
export const CheckResultV1 = z.object({
  /** The component checked. */
  component: z.string(),
  /** False when its source could not be checked. */
  ok: z.boolean(),
  /** Versions announced by this check. */
  announced: z.array(z.string()),
  /** Why the check failed: a source error code and what to do. */
  error: z.object({ code: z.string(), reason: z.string() }).optional(),
});
export type CheckResultV1 = z.infer<typeof CheckResultV1>;

/** Reply of `qry.checker.check-now.v1`: one result per component checked. */
export type CheckNowReplyV1 = CheckResultV1[];

/** Request of `qry.checker.component-upsert.v1`. */
export const ComponentUpsertV1 = z.object({
  /** Unique name, e.g. `demo-app`. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'component names are lowercase letters, digits, dot, dash, underscore'),
  /** Version scheme id (`semver`, `abr`). */
  scheme: z.string().default('semver'),
  /** Channel whose releases are offered. */
  channel: z.enum(['stable', 'beta', 'alpha']).default('stable'),
  /**
   * Version the component runs now; null when not known yet. Absent keeps what is stored (null
   * for a new component): re-registering to change something else must not forget what runs.
   */
  currentVersion: z.string().nullable().optional(),
  /** Release source plugin id (`tuf`, `npm`). */
  sourceType: z.string(),
  /** The plugin's settings, validated by its schema. */
  sourceConfig: z.record(z.string(), z.unknown()).default({}),
  /**
   * What it needs of other registered components (name → version range, `{}` for nothing);
   * absent keeps what is stored (nothing for a new component). Refused when it names an
   * unregistered component or makes the requirements a cycle.
   */
  requires: Requirements.optional(),
});
export type ComponentUpsertV1 = z.infer<typeof ComponentUpsertV1>;

/** Reply of `qry.checker.component-upsert.v1`: the component as the checker stored it (times as RFC 3339). */
export interface ComponentUpsertReplyV1 {
  /** Unique name, e.g. `demo-app`. */
  name: string;
  /** Version scheme id (`semver`, `abr`). */
  scheme: string;
  /** Channel whose releases are offered (`stable`, `beta`, `alpha`). */
  channel: string;
  /** Version the component runs now; null before the first install is known. */
  currentVersion: string | null;
  /** Release source plugin id (`tuf`, `npm`). */
  sourceType: string;
  /** Source settings as given (not masked: the API shows components from its own read, masked). */
  sourceConfig: Record<string, unknown>;
  /** What it needs of other components: name → version range. */
  requires: Requirements;
  /** When it was registered. */
  createdAt?: string;
  /** When it was last changed. */
  updatedAt?: string;
}

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
      code: QueryErrorCode.InvalidRequest,
      message: formatIssues(r.error),
    },
  };
}
