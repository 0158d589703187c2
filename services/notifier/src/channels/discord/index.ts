import type { CloudEvent } from '@lockstep/contracts';
import { z } from 'zod';
import { summarizeEvent } from '../event-summary';
import {
  ChannelIds,
  DestinationUrlSchema,
  NOTIFIER_USER_AGENT,
  parseTarget,
  type NotificationChannel,
} from '../notification-channel';
import { DiscordLimits, renderDiscordMessage } from './discord-message';

export {
  DiscordColors,
  DiscordLimits,
  embedLength,
  renderDiscordMessage,
  type DiscordEmbed,
  type DiscordMessage,
} from './discord-message';

/** Target settings of a Discord subscription. */
export const DiscordTargetSchema = z.object({
  /** Execute-webhook URL (`https://discord.com/api/webhooks/<id>/<token>`); the path is a secret. */
  url: DestinationUrlSchema,
  /** Overrides the webhook's display name. */
  username: z.string().min(1).max(DiscordLimits.username).optional(),
  /** Overrides the webhook's avatar. */
  avatarUrl: DestinationUrlSchema.optional(),
  /** Plain text shown above the embed (mentions in it do not ping: allowed_mentions is empty). */
  content: z.string().max(DiscordLimits.content).optional(),
});
export type DiscordTarget = z.output<typeof DiscordTargetSchema>;

/**
 * Discord execute-webhook: one embed per event, within Discord's limits. A 429 is retried after
 * the larger of the Retry-After header and the JSON body's `retry_after` (seconds), which the
 * shared sender reads.
 */
export const discordChannel: NotificationChannel<DiscordTarget> = {
  id: ChannelIds.Discord,
  targetSchema: DiscordTargetSchema,
  validateTarget: (config) => parseTarget(ChannelIds.Discord, DiscordTargetSchema, config),
  destinationOf: (target) => target.url,
  buildRequest(event: CloudEvent, target: DiscordTarget) {
    const message = renderDiscordMessage(summarizeEvent(event), {
      content: target.content,
      username: target.username,
      avatarUrl: target.avatarUrl,
    });
    const body = Buffer.from(JSON.stringify(message));
    return {
      url: target.url,
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': NOTIFIER_USER_AGENT,
      },
    };
  },
};
