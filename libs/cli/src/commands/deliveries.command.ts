import { Option, type Command } from 'commander';
import { DeliveryStatuses, type DeliveryView, type ListOf } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatDuration, formatTime, renderTableLines, truncate, type Column } from '../output';
import { checkSubscriptionId } from './subscriptions.command';

/** Parses --limit: a whole number 1..200. */
export function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 200)
    throw new UsageError(`--limit must be a whole number from 1 to 200 (got "${value}")`);
  return n;
}

export interface ListOptions {
  subscription?: string;
  status?: string;
  event?: string;
  limit?: number;
}

const deliveryColumns: Column<DeliveryView>[] = [
  { header: 'DELIVERY', value: (d) => d.id },
  { header: 'STATUS', value: (d) => d.status },
  { header: 'EVENT', value: (d) => d.eventName },
  { header: 'SUBJECT', value: (d) => d.eventSubject },
  { header: 'SUBSCRIPTION', value: (d) => `${d.subscriptionName ?? '(deleted)'} ${d.subscriptionId.slice(0, 8)}` },
  { header: 'ATTEMPTS', value: (d) => d.attemptCount, align: 'right' },
  { header: 'CREATED', value: (d) => formatTime(d.createdAt) },
];

/** One line per attempt: number, time, HTTP status, duration, outcome, error or response. */
export function formatAttempt(a: DeliveryView['attempts'][number]): string {
  const detail = a.error ?? (a.response ? `response: ${a.response}` : '');
  return `    #${a.attempt}  ${formatTime(a.startedAt)}  ${String(a.statusCode ?? '---').padStart(3)}  ${formatDuration(a.durationMs).padStart(8)}  ${a.outcome}${detail ? `  ${truncate(detail.replace(/\s+/g, ' '), 160)}` : ''}`;
}

/** Deliveries as a table, each followed by its attempts. */
export function formatDeliveries(items: DeliveryView[], empty: string): string {
  if (items.length === 0) return `${empty}\n`;
  const [header, ...rows] = renderTableLines(deliveryColumns, items);
  const lines = [header];
  items.forEach((d, i) => {
    lines.push(rows[i]);
    for (const a of d.attempts) lines.push(formatAttempt(a));
    if (d.status === 'pending' && d.nextAttemptAt) lines.push(`    next attempt ${formatTime(d.nextAttemptAt)}`);
  });
  return `${lines.join('\n')}\n`;
}

/** Adds the filter options shared by `deliveries` and `dead-letters`. */
export const listOptions = (cmd: Command, withStatus: boolean): Command => {
  cmd.option('--subscription <id>', 'only deliveries to this subscription');
  if (withStatus)
    cmd.addOption(new Option('--status <status>', 'only deliveries in this state').choices([...DeliveryStatuses]));
  return cmd
    .option('--event <event>', 'only this event: a name (release.available), a prefix (release.*) or an event id')
    .option('--limit <n>', 'at most N deliveries, newest first (1-200)', parseLimit, 50);
};

/** The API query for the filter options. */
export const listQuery = (o: ListOptions) => ({
  subscription: o.subscription ? checkSubscriptionId(o.subscription) : undefined,
  status: o.status,
  event: o.event,
  limit: o.limit,
});

/** `lockstep deliveries`: the delivery log with every attempt. */
export function registerDeliveries(program: Command, ctx: CliContext): void {
  listOptions(
    program
      .command('deliveries')
      .description('the delivery log: each delivery with its attempts (status code, duration, outcome, error)'),
    true,
  ).action(async (_o: unknown, cmd: Command) => {
    const { items } = await ctx
      .api(cmd)
      .get<ListOf<DeliveryView>>('/v1/deliveries', listQuery(ctx.options<ListOptions>(cmd)));
    ctx.print(cmd, items, () => formatDeliveries(items, 'no deliveries match'));
  });
}
