import type { CloudEvent } from '@lockstep/contracts';
import { z } from 'zod';
import { AttemptOutcome } from '../../http/delivery.types';
import { summarizeEvent } from '../event-summary';
import {
  ChannelIds,
  DestinationUrlSchema,
  NOTIFIER_USER_AGENT,
  parseTarget,
  type NotificationChannel,
} from '../notification-channel';
import { renderSlackMessage } from './slack-message';
import { SlackRateLimiter } from './slack-rate-limiter';

export { renderSlackMessage, SlackLimits, type SlackBlock, type SlackMessage, type SlackText } from './slack-message';
export { SlackRateLimiter, type LimiterClock } from './slack-rate-limiter';

/** Target settings of a Slack subscription. */
export const SlackTargetSchema = z.object({
  /** Incoming webhook URL (`https://hooks.slack.com/services/…`); the path is a secret. */
  url: DestinationUrlSchema,
});
export type SlackTarget = z.output<typeof SlackTargetSchema>;

/**
 * Builds the Slack channel around a rate limiter. One limiter per process is the point: pass
 * the same instance everywhere (the registry's `slackChannel` owns the default one).
 */
export function createSlackChannel(
  limiter = new SlackRateLimiter(),
): NotificationChannel<SlackTarget> & { readonly limiter: SlackRateLimiter } {
  return {
    id: ChannelIds.Slack,
    limiter,
    targetSchema: SlackTargetSchema,
    validateTarget: (config) => parseTarget(ChannelIds.Slack, SlackTargetSchema, config),
    destinationOf: (target) => target.url,
    buildRequest(event: CloudEvent, target: SlackTarget) {
      const body = Buffer.from(JSON.stringify(renderSlackMessage(summarizeEvent(event))));
      return {
        url: target.url,
        body,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(body.length),
          'user-agent': NOTIFIER_USER_AGENT,
        },
      };
    },
    throttle: (target, signal) => limiter.acquire(target.url, signal),
    observe(target, result) {
      if (result.outcome === AttemptOutcome.Retry && result.status === 429)
        limiter.defer(target.url, result.retryAfterMs ?? 1000);
    },
  };
}

/** Slack incoming webhooks: Block Kit messages, at most one per second per webhook URL in this process. */
export const slackChannel = createSlackChannel();
