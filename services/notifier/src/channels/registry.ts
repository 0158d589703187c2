import { discordChannel } from './discord';
import {
  ChannelIds,
  UnknownNotificationChannelError,
  type ChannelId,
  type NotificationChannel,
} from './notification-channel';
import { slackChannel } from './slack';
import { webhookChannel } from './webhook';

/**
 * Every notification channel plugin by id. Each lives in `channels/<id>/index.ts`; a spec checks
 * that this map and the folders agree. Adding a channel: a folder, an id in ChannelIds, a line here.
 */
export const NotificationChannels = {
  [ChannelIds.Webhook]: webhookChannel,
  [ChannelIds.Slack]: slackChannel,
  [ChannelIds.Discord]: discordChannel,
} as const satisfies Record<ChannelId, NotificationChannel>;

/** The channel with this id, or undefined. */
export function findChannel(id: string): NotificationChannel | undefined {
  return Object.hasOwn(NotificationChannels, id)
    ? (NotificationChannels as Record<string, NotificationChannel>)[id]
    : undefined;
}

/** The channel with this id. @throws UnknownNotificationChannelError */
export function getChannel(id: string): NotificationChannel {
  const channel = findChannel(id);
  if (!channel) throw new UnknownNotificationChannelError(id);
  return channel;
}
