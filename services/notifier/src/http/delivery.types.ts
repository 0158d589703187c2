import type { AgentPool, AllowList, HostResolver } from '@lockstep/net-guard';

/**
 * What one delivery attempt came to; the worker maps it to its queue:
 * - `delivered`: 2xx; done.
 * - `retry`: other 4xx/5xx, 429/503 (see retryAfterMs), network error, timeout, DNS failure; schedule another attempt.
 * - `gone`: 410; the receiver asked to stop: disable the subscription.
 * - `refused`: the destination failed the SSRF guard (address class, scheme, credentials); do not retry, fix the subscription or the allow-list.
 * - `failed_permanently`: will not succeed unchanged, e.g. a 3xx redirect (not followed) or a request that cannot be built.
 */
export const AttemptOutcome = {
  Delivered: 'delivered',
  Retry: 'retry',
  Gone: 'gone',
  Refused: 'refused',
  FailedPermanently: 'failed_permanently',
} as const;
export type AttemptOutcome = (typeof AttemptOutcome)[keyof typeof AttemptOutcome];

/** The HTTP request a channel builds for one attempt. */
export interface DeliveryRequest {
  /** Destination URL; for Slack and Discord it contains the secret token, so never log it whole. */
  readonly url: string;
  /** Request headers, lower-case names. `content-length` is added when missing. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes to send (signatures are computed over them). */
  readonly body: Buffer | string;
}

/** Settings of the shared sender. */
export interface DeliverOptions {
  /** Non-public destinations that may nevertheless be contacted. */
  allowList: AllowList;
  /** Whole-attempt deadline (DNS, connect, TLS, request, response) in milliseconds. */
  timeoutMs: number;
  /** Bytes of the response body kept in responseSnippet. Default 1024. */
  maxResponseBytes?: number;
  /** Keep-alive agents; default the process-wide pool. */
  agents?: AgentPool;
  /** Resolver for host names; default the system resolver. */
  resolve?: HostResolver;
  /** Aborts the attempt (service shutdown); the result is then `retry`. */
  signal?: AbortSignal;
}

/** The record of one attempt, ready for the attempts log. */
export interface AttemptResult {
  /** What to do next; see AttemptOutcome. */
  outcome: AttemptOutcome;
  /** HTTP status when a response arrived. */
  status?: number;
  /** Wall time of the attempt in whole milliseconds, DNS included. */
  durationMs: number;
  /** The first maxResponseBytes of the response body, decoded as UTF-8. */
  responseSnippet?: string;
  /** True when the response body was longer than the snippet. */
  responseTruncated?: boolean;
  /** What went wrong, for operators; never contains secrets, URL paths or queries. */
  error?: string;
  /** Wait the receiver asked for (Retry-After on 429/503, Discord's `retry_after`), uncapped; cap it with RetrySchedule. */
  retryAfterMs?: number;
  /** Address the attempt connected to (or was refused), for the attempts log. */
  address?: string;
}
