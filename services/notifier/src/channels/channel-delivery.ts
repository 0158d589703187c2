import type { CloudEvent } from '@lockstep/contracts';
import type { AllowList } from '@lockstep/net-guard';
import type { AttemptResult, DeliverOptions } from '../http/delivery.types';
import { AttemptOutcome } from '../http/delivery.types';
import { checkDestination, systemResolver, type CheckedDestination, type HostResolver } from '@lockstep/net-guard';
import { deliver } from '../http/http-sender';
import type { AttemptContext, NotificationChannel } from './notification-channel';
import { getChannel } from './registry';

/**
 * Validates a subscription's target at create/update time: the channel's schema, then the SSRF
 * guard on its URL (DNS included).
 *
 * @throws UnknownNotificationChannelError, InvalidTargetError, DestinationRefusedError, DestinationUnresolvedError
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

/** How one attempt runs: the sender's settings, plus when to give up waiting for the rate limit. */
export interface AttemptOptions extends DeliverOptions {
  /**
   * Stops a wait for the channel's rate limit (service shutdown); nothing is sent then. Defaults
   * to `signal`. Give a separate one to stop waits at once while sends in flight may finish.
   */
  waitSignal?: AbortSignal;
}

/**
 * One attempt end to end, as the delivery worker makes it: waits for the channel's rate limit,
 * builds the request for this attempt (fresh timestamp and signature) and sends it. Resolves
 * `undefined` when the wait for the rate limit was aborted: nothing was sent, so it is no
 * attempt and nothing is to be recorded. Otherwise never throws; a request that cannot be built
 * (bad secret stored, unserialisable event) is `failed_permanently`. `target` must come from
 * channel.validateTarget.
 */
export async function attemptDelivery<T>(
  channel: NotificationChannel<T>,
  event: CloudEvent,
  target: T,
  ctx: AttemptContext,
  options: AttemptOptions,
): Promise<AttemptResult | undefined> {
  const waitSignal = options.waitSignal ?? options.signal;
  const waitStarted = Date.now();
  try {
    await channel.throttle?.(target, waitSignal);
  } catch (err) {
    if (waitSignal?.aborted) return undefined;
    // the limiter failed on its own: no send, but an attempt, so a broken limiter cannot spin the queue
    return {
      outcome: AttemptOutcome.Retry,
      durationMs: Date.now() - waitStarted,
      error: `${channel.id} rate limit failed: ${(err as Error).message}`,
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
