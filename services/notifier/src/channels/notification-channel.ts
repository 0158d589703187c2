import { CodedError, issueMessages, type CloudEvent } from '@lockstep/contracts';
import { z } from 'zod';
import type { AttemptResult, DeliveryRequest } from '../http/delivery.types';

/** Channel plugin ids; each is the name of its folder under channels/ and a stored subscription value. */
export const ChannelIds = {
  Webhook: 'webhook',
  Slack: 'slack',
  Discord: 'discord',
} as const;
export type ChannelId = (typeof ChannelIds)[keyof typeof ChannelIds];

/** User-Agent of every notifier delivery. */
export const NOTIFIER_USER_AGENT = 'Lockstep-Notifier/1';

/** Per-attempt facts a channel needs to build its request. */
export interface AttemptContext {
  /** 1-based number of this attempt. */
  attempt: number;
  /** Id stable across retries, sent as `webhook-id`; defaults to the CloudEvent id. */
  messageId?: string;
  /** Time of the attempt (webhook-timestamp); defaults to now. Build a fresh request for every attempt. */
  now?: Date;
}

/**
 * A notification channel plugin: one folder per channel under channels/, listed in
 * channels/registry.ts. Channels are pure: they validate targets and build requests; the shared
 * sender (`deliver`) does the I/O.
 */
export interface NotificationChannel<T = unknown> {
  /** Plugin id, equal to its folder name. */
  readonly id: ChannelId;
  /** Schema of the subscription's target settings. */
  readonly targetSchema: z.ZodType<T>;
  /** Parses target settings. @throws InvalidTargetError, whose message never repeats secrets. */
  validateTarget(config: unknown): T;
  /** The URL the target delivers to, for checkDestination at create time. */
  destinationOf(target: T): string;
  /** Builds the HTTP request of one attempt. Call it for every attempt (timestamps and signatures are per attempt). */
  buildRequest(event: CloudEvent, target: T, ctx: AttemptContext): DeliveryRequest;
  /** Waits until the channel's rate limit lets this target send; absent when the channel has none. */
  throttle?(target: T, signal?: AbortSignal): Promise<void>;
  /** Sees each attempt's result, e.g. to back a rate limiter off after a 429. */
  observe?(target: T, result: AttemptResult): void;
}

/** Error codes of target validation. */
export const ChannelErrorCode = {
  InvalidTarget: 'CHANNEL_INVALID_TARGET',
  UnknownChannel: 'CHANNEL_UNKNOWN',
} as const;
export type ChannelErrorCode = (typeof ChannelErrorCode)[keyof typeof ChannelErrorCode];

/** A subscription's target settings do not fit its channel. The message lists fields and rules, never values. */
export class InvalidTargetError extends CodedError<typeof ChannelErrorCode.InvalidTarget> {
  override name = 'InvalidTargetError';
  constructor(
    readonly channel: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      ChannelErrorCode.InvalidTarget,
      `${channel} target is invalid: ${problems.join('; ')}; fix the subscription's target settings`,
      options,
    );
  }
}

/** The subscription names a channel that is not registered. */
export class UnknownNotificationChannelError extends CodedError<typeof ChannelErrorCode.UnknownChannel> {
  override name = 'UnknownNotificationChannelError';
  constructor(readonly channel: string) {
    super(
      ChannelErrorCode.UnknownChannel,
      `unknown notification channel "${channel}"; use one of ${Object.values(ChannelIds).join(', ')}`,
    );
  }
}

/** Parses with a schema and turns zod issues into an InvalidTargetError without echoing input values. */
export function parseTarget<T>(channel: string, schema: z.ZodType<T>, config: unknown): T {
  const parsed = schema.safeParse(config);
  if (parsed.success) return parsed.data;
  const problems = issueMessages(parsed.error);
  // The zod error carries the input (and so any secret) in its issues: do not attach it as cause.
  throw new InvalidTargetError(channel, problems);
}

/** A destination URL field: absolute http(s), no credentials. The SSRF guard checks addresses separately. */
export const DestinationUrlSchema = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
  } catch {
    return false;
  }
}, 'must be an absolute https:// (or http://) URL without user:password@');
