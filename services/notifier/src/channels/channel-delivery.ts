import type { CloudEvent } from '@lockstep/contracts';
import type { AllowList } from '../http/allow-list';
import type { AttemptResult, DeliverOptions } from '../http/delivery.types';
import { AttemptOutcome } from '../http/delivery.types';
import {
  checkDestination,
  systemResolver,
  type CheckedDestination,
  type HostResolver,
} from '../http/destination-guard';
import { deliver } from '../http/http-sender';
import type { AttemptContext, NotificationChannel } from './notification-channel';
import { getChannel } from './registry';

/**
 * Validates a subscription's target at create/update time: the channel's schema, then the SSRF
 * guard on its URL (DNS included).
 *
 * @throws UnknownChannelError, InvalidTargetError, DestinationRefusedError, DestinationUnresolvedError
 */
export async function validateSubscriptionTarget(
  channelId: string,
  config: unknown,
  allowList: AllowList,
  resolve: HostResolver = systemResolver,
): Promise<{ channel: NotificationChannel; target: unknown; destination: CheckedDestination }> {
  const channel = getChannel(channelId);
  const target = channel.validateTarget(config);
  const destination = await checkDestination(channel.destinationOf(target), allowList, resolve);
  return { channel, target, destination };
}

/**
 * One attempt end to end: waits for the channel's rate limit, builds the request for this
 * attempt (fresh timestamp and signature) and sends it. Never throws; a request that cannot be
 * built (bad secret stored, unserialisable event) is `failed_permanently`. `target` must come
 * from channel.validateTarget.
 */
export async function attemptDelivery<T>(
  channel: NotificationChannel<T>,
  event: CloudEvent,
  target: T,
  ctx: AttemptContext,
  options: DeliverOptions,
): Promise<AttemptResult> {
  const started = Date.now();
  try {
    await channel.throttle?.(target, options.signal);
  } catch {
    return {
      outcome: AttemptOutcome.Retry,
      durationMs: Date.now() - started,
      error: 'attempt aborted while waiting for the channel rate limit',
    };
  }
  let request;
  try {
    request = channel.buildRequest(event, target, ctx);
  } catch (err) {
    return {
      outcome: AttemptOutcome.FailedPermanently,
      durationMs: 0,
      error: `${channel.id} request could not be built: ${(err as Error).message}`,
    };
  }
  const result = await deliver(request, options);
  channel.observe?.(target, result);
  return result;
}
