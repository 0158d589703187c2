import { Option, type Command } from 'commander';
import {
  DeadLetterKinds,
  type DeadLetterKind,
  type DeadLetterRedriveReplyV1,
  type DeadLetterReplayReplyV1,
  type DeadLetterView,
  type ListOf,
  type RedriveDeadLettersBody,
  type ReplayDeadLettersBody,
} from '@lockstep/contracts';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatTime, renderTable, truncate, type Column } from '../output';
import { listQuery, parseLimit, type ListOptions } from './deliveries.command';
import { checkSubscriptionId } from './subscriptions.command';

/** One request a replay makes: dead deliveries to the notifier, messages and outbox rows to the scheduler. */
export type ReplayRequest =
  | { path: '/v1/dead-letters/replay'; body: ReplayDeadLettersBody }
  | { path: '/v1/dead-letters/redrive'; body: RedriveDeadLettersBody };

export interface ReplayOptions {
  delivery?: string;
  subscription?: string;
  message?: string;
  outbox?: string;
  all?: boolean;
  kind?: DeadLetterKind;
}

const CHOOSE = 'choose exactly one of --delivery ID, --subscription ID, --message SEQ, --outbox ID or --all [--kind K]';

/** The requests for the options: exactly one choice; `--kind` narrows `--all` only. */
export function replayRequests(o: ReplayOptions): ReplayRequest[] {
  const choices = [o.delivery, o.subscription, o.message, o.outbox].filter((x) => x !== undefined).length;
  if (choices + (o.all ? 1 : 0) !== 1) throw new UsageError(CHOOSE);
  if (o.kind && !o.all) throw new UsageError(`--kind narrows --all only; ${CHOOSE}`);
  const replay = (body: ReplayDeadLettersBody): ReplayRequest => ({ path: '/v1/dead-letters/replay', body });
  const redrive = (body: RedriveDeadLettersBody): ReplayRequest => ({ path: '/v1/dead-letters/redrive', body });
  if (o.delivery !== undefined) return [replay({ deliveryId: o.delivery })];
  if (o.subscription !== undefined) return [replay({ subscriptionId: checkSubscriptionId(o.subscription) })];
  if (o.message !== undefined) {
    if (!/^[1-9]\d*$/.test(o.message))
      throw new UsageError(`--message takes the sequence number \`lockstep dead-letters\` lists (got "${o.message}")`);
    return [redrive({ seq: Number(o.message) })];
  }
  if (o.outbox !== undefined) {
    if (!/^\d+$/.test(o.outbox))
      throw new UsageError(`--outbox takes the numeric id \`lockstep dead-letters\` lists (got "${o.outbox}")`);
    return [redrive({ outboxId: o.outbox })];
  }
  if (o.kind === 'delivery') return [replay({})];
  if (o.kind) return [redrive({ kind: o.kind })];
  return [replay({}), redrive({})];
}

const columns: Column<DeadLetterView>[] = [
  { header: 'KIND', value: (d) => d.kind },
  { header: 'ID', value: (d) => d.id },
  { header: 'SUBJECT', value: (d) => d.subject },
  { header: 'SERVICE', value: (d) => d.service },
  { header: 'WHEN', value: (d) => formatTime(d.at) },
  { header: 'REASON', value: (d) => (d.reason ? truncate(d.reason.replace(/\s+/g, ' '), 120) : null) },
];

/** Dead letters as a table. */
export const formatDeadLetters = (items: DeadLetterView[]): string => renderTable(columns, items, 'no dead letters');

/** What a replay did, in words. */
export function formatReplayed(r: { replayed?: number; redriven?: DeadLetterRedriveReplyV1['redriven'] }): string {
  const lines: string[] = [];
  if (r.replayed !== undefined)
    lines.push(`replayed ${r.replayed} dead ${r.replayed === 1 ? 'delivery' : 'deliveries'}`);
  if (r.redriven !== undefined) {
    lines.push(`re-drove ${r.redriven.length} dead ${r.redriven.length === 1 ? 'letter' : 'letters'}`);
    for (const d of r.redriven)
      lines.push(
        d.kind === 'message'
          ? `  message ${d.id} -> ${d.subject} (again to ${d.service ?? 'its consumers'})`
          : `  outbox ${d.id} -> ${d.subject} (back in the outbox)`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** `lockstep dead-letters [list]` and `lockstep dead-letters replay`. */
export function registerDeadLetters(program: Command, ctx: CliContext): void {
  const dead = program
    .command('dead-letters')
    .description('dead letters of every kind: dead deliveries, dead-lettered stream messages, outbox rows');
  dead
    .command('list', { isDefault: true })
    .description('list dead letters, oldest first: kind, id, subject, the service that gave up, when, why')
    .addOption(new Option('--kind <kind>', 'only this kind').choices([...DeadLetterKinds]))
    .option('--subscription <id>', 'only dead deliveries to this subscription')
    .option('--event <event>', 'only dead deliveries of this event: a name, a prefix (release.*) or an event id')
    .option('--limit <n>', 'at most N dead letters (1-200)', parseLimit, 50)
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<ListOptions & { kind?: DeadLetterKind }>(cmd);
      const { status: _status, ...query } = listQuery(o);
      const { items } = await ctx.api(cmd).get<ListOf<DeadLetterView>>('/v1/dead-letters', { ...query, kind: o.kind });
      ctx.print(cmd, items, () => formatDeadLetters(items));
    });
  dead
    .command('replay')
    .description(
      'replay dead deliveries (fresh retry schedule), publish dead-lettered messages again to their original subject, put outbox dead letters back into the outbox',
    )
    .option('--delivery <id>', 'replay this dead delivery')
    .option('--subscription <id>', 'replay every dead delivery of this subscription')
    .option('--message <seq>', 're-drive this dead-lettered stream message (its id in the list)')
    .option('--outbox <id>', 're-drive this outbox dead letter')
    .option('--all', 'every dead letter (of --kind)')
    .addOption(new Option('--kind <kind>', 'with --all: only this kind').choices([...DeadLetterKinds]))
    .action(async (_o: unknown, cmd: Command) => {
      const requests = replayRequests(ctx.options<ReplayOptions>(cmd));
      const api = ctx.api(cmd);
      const result: { replayed?: number; redriven?: DeadLetterRedriveReplyV1['redriven'] } = {};
      for (const r of requests) {
        if (r.path === '/v1/dead-letters/replay')
          result.replayed = (await api.post<DeadLetterReplayReplyV1>(r.path, r.body)).replayed;
        else result.redriven = (await api.post<DeadLetterRedriveReplyV1>(r.path, r.body)).redriven;
      }
      ctx.print(cmd, result, () => formatReplayed(result));
    });
}
