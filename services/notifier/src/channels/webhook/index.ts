import type { CloudEvent } from '@lockstep/contracts';
import { z } from 'zod';
import type { DeliveryRequest } from '../../http/delivery.types';
import {
  ChannelIds,
  DestinationUrlSchema,
  NOTIFIER_USER_AGENT,
  parseTarget,
  type AttemptContext,
  type NotificationChannel,
} from '../notification-channel';
import { isWebhookSecret, signWebhook } from './webhook-signature';

export {
  generateWebhookSecret,
  InvalidWebhookSecretError,
  isWebhookSecret,
  signWebhook,
  WEBHOOK_SECRET_PREFIX,
} from './webhook-signature';

/** Content types a webhook target may ask for. */
export const WebhookContentTypes = {
  /** Default: what every JSON receiver, gateway and framework accepts. */
  Json: 'application/json',
  /** CloudEvents HTTP binding, structured mode: for receivers using a CloudEvents SDK. */
  CloudEvents: 'application/cloudevents+json',
} as const;

/** Target settings of a webhook subscription. */
export const WebhookTargetSchema = z.object({
  /** Receiver URL. */
  url: DestinationUrlSchema,
  /** `whsec_` secrets, current first; list the previous one too while receivers rotate. */
  secrets: z
    .array(
      z
        .string()
        .refine(
          isWebhookSecret,
          'must be whsec_ followed by base64 of 24–64 random bytes (generateWebhookSecret() makes one)',
        ),
    )
    .min(1, 'needs at least one whsec_ secret')
    .max(5, 'holds at most 5 secrets; drop the retired ones'),
  /** Content-Type of the body; the body is the CloudEvent in structured JSON either way. */
  contentType: z.enum([WebhookContentTypes.Json, WebhookContentTypes.CloudEvents]).default(WebhookContentTypes.Json),
});
export type WebhookTarget = z.output<typeof WebhookTargetSchema>;

// One serialisation per event object, however many subscriptions and attempts it fans out to.
const bodies = new WeakMap<object, Buffer>();

/** The CloudEvent as structured-mode JSON bytes, cached per event object (events are treated as immutable). */
export function serializeEvent(event: CloudEvent): Buffer {
  let body = bodies.get(event);
  if (!body) {
    body = Buffer.from(JSON.stringify(event));
    bodies.set(event, body);
  }
  return body;
}

/**
 * Standard Webhooks delivery of the CloudEvent itself (structured JSON). Headers: `webhook-id`
 * (ctx.messageId or the event id; stable across retries, the receiver's idempotency key),
 * `webhook-timestamp` (this attempt, Unix seconds) and `webhook-signature` (one `v1,` signature
 * per secret). Receivers verify with the `standardwebhooks` package over the raw body.
 *
 * Content-Type defaults to `application/json`: signature verification ignores it, and it is
 * what JSON receivers, API gateways and no-code tools accept out of the box, while many reject
 * or fail to parse `application/cloudevents+json`. Targets with a CloudEvents SDK receiver can
 * ask for `application/cloudevents+json` (HTTP binding, structured mode); the bytes are the same.
 */
export const webhookChannel: NotificationChannel<WebhookTarget> = {
  id: ChannelIds.Webhook,
  targetSchema: WebhookTargetSchema,
  validateTarget: (config) => parseTarget(ChannelIds.Webhook, WebhookTargetSchema, config),
  destinationOf: (target) => target.url,
  buildRequest(event: CloudEvent, target: WebhookTarget, ctx: AttemptContext): DeliveryRequest {
    const body = serializeEvent(event);
    const id = ctx.messageId ?? event.id;
    const timestamp = Math.floor((ctx.now?.getTime() ?? Date.now()) / 1000);
    return {
      url: target.url,
      body,
      headers: {
        'content-type': target.contentType,
        'content-length': String(body.length),
        'user-agent': NOTIFIER_USER_AGENT,
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(target.secrets, id, timestamp, body),
      },
    };
  },
};
