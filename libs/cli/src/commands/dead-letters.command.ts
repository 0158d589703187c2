import type { Command } from 'commander';
import type { DeadLetterReplayReplyV1, DeliveryView, ListOf } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatDeliveries, listOptions, listQuery, type ListOptions } from './deliveries.command';
import { checkSubscriptionId } from './subscriptions.command';

/** `lockstep dead-letters [list]` and `lockstep dead-letters replay`. */
export function registerDeadLetters(program: Command, ctx: CliContext): void {
  const dead = program.command('dead-letters').description('deliveries that exhausted their retries');
  listOptions(dead.command('list', { isDefault: true }).description('list dead deliveries'), false).action(
    async (_o: unknown, cmd: Command) => {
      const { items } = await ctx
        .api(cmd)
        .get<ListOf<DeliveryView>>('/v1/dead-letters', listQuery(ctx.options<ListOptions>(cmd)));
      ctx.print(cmd, items, () => formatDeliveries(items, 'no dead letters'));
    },
  );
  dead
    .command('replay')
    .description('deliver dead deliveries again with a fresh retry schedule')
    .option('--delivery <id>', 'replay this delivery')
    .option('--subscription <id>', 'replay every dead delivery of this subscription')
    .option('--all', 'replay every dead delivery')
    .action(async (_o: unknown, cmd: Command) => {
      const body = replayBody(ctx.options<{ delivery?: string; subscription?: string; all?: boolean }>(cmd));
      const { replayed } = await ctx.api(cmd).post<DeadLetterReplayReplyV1>('/v1/dead-letters/replay', body);
      ctx.print(cmd, { replayed }, () => `replayed ${replayed} dead ${replayed === 1 ? 'delivery' : 'deliveries'}\n`);
    });
}

/** Exactly one of --delivery, --subscription, --all. */
export function replayBody(o: { delivery?: string; subscription?: string; all?: boolean }): {
  deliveryId?: string;
  subscriptionId?: string;
} {
  const chosen = [o.delivery !== undefined, o.subscription !== undefined, !!o.all].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('choose exactly one of --delivery ID, --subscription ID or --all');
  if (o.delivery !== undefined) return { deliveryId: o.delivery };
  if (o.subscription !== undefined) return { subscriptionId: checkSubscriptionId(o.subscription) };
  return {};
}
