import { Channels, type Channel } from '@lockstep/contracts';
import { UnknownReleaseChannelError } from './errors';

/** Rank of a channel by permissiveness; `Channels` is ordered stable, beta, alpha. */
function rank(channel: Channel): number {
  const i = Channels.indexOf(channel);
  // Fail loudly: an unknown release channel ranked -1 would otherwise be shown to everyone.
  if (i < 0) throw new UnknownReleaseChannelError(channel, Channels);
  return i;
}

/**
 * Whether a subscriber on `subscriberChannel` should be offered a release published to
 * `releaseChannel`. Channels are ordered stable < beta < alpha in permissiveness:
 * - `stable` sees only stable-channel releases that are not pre-releases;
 * - `beta` sees stable and beta releases, pre-release or not;
 * - `alpha` sees everything.
 * Throws `UnknownReleaseChannelError` for a name outside `Channels`.
 */
export function channelAccepts(subscriberChannel: Channel, releaseChannel: Channel, isPrerelease: boolean): boolean {
  const subscriber = rank(subscriberChannel);
  const release = rank(releaseChannel);
  if (subscriberChannel === 'stable' && isPrerelease) return false;
  return release <= subscriber;
}
