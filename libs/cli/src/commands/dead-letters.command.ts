import { Option, type Command } from 'commander';
import {
  DeadLetterKinds,
  type DeadLetterDiscardReplyV1,
  type DeadLetterKind,
  type DeadLetterList,
  type DeadLetterRedriveReplyV1,
  type DeadLetterReplayReplyV1,
  type DeadLetterView,
  type DiscardDeadLetterBody,
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
  if (o.message !== undefined || o.outbox !== undefined) return [redrive(namedDeadLetter(o))];
  if (o.kind === 'delivery') return [replay({})];
  if (o.kind) return [redrive({ kind: o.kind })];
  return [replay({}), redrive({})];
}

/** The one stream message (`--message SEQ`) or outbox dead letter (`--outbox ID`) the options name. */
function namedDeadLetter(o: { message?: string; outbox?: string }): DiscardDeadLetterBody {
  if (o.message !== undefined) {
    if (!/^[1-9]\d*$/.test(o.message))
      throw new UsageError(`--message takes the sequence number \`lockstep dead-letters\` lists (got "${o.message}")`);
    return { seq: Number(o.message) };
  }
  if (!/^\d+$/.test(o.outbox ?? ''))
    throw new UsageError(`--outbox takes the numeric id \`lockstep dead-letters\` lists (got "${o.outbox}")`);
  return { outboxId: o.outbox };
}

/** The body of a discard: exactly one of `--message SEQ` and `--outbox ID`. */
export function discardBody(o: { message?: string; outbox?: string }): DiscardDeadLetterBody {
  if ((o.message === undefined) === (o.outbox === undefined))
    throw new UsageError(
      'name the dead letter to discard: --message SEQ or --outbox ID (from `lockstep dead-letters`)',
    );
  return namedDeadLetter(o);
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

type ReplayResult = { replayed?: number } & Partial<DeadLetterRedriveReplyV1>;

const plural = (n: number, word: string) => `${n} dead ${word}${n === 1 ? '' : 's'}`;

/** What a replay did, in words. */
export function formatReplayed(r: ReplayResult): string {
  const lines: string[] = [];
  if (r.replayed !== undefined)
    lines.push(`replayed ${r.replayed} dead ${r.replayed === 1 ? 'delivery' : 'deliveries'}`);
  if (r.redriven !== undefined) {
    lines.push(`re-drove ${plural(r.redriven.length, 'letter')}`);
    for (const d of r.redriven)
      lines.push(
        d.kind === 'message'
          ? `  message ${d.id} -> ${d.subject} (again to ${d.service ?? 'its consumers'})`
          : `  outbox ${d.id} -> ${d.subject} (back in the outbox)`,
      );
  }
  for (const d of r.skipped ?? [])
    lines.push(`  outbox ${d.id}: its event ${d.eventId} already waits in the outbox; dropped the dead letter`);
  if (r.problems?.length) {
    lines.push(`left ${plural(r.problems.length, 'letter')}:`);
    for (const p of r.problems) lines.push(`  ${p.kind} ${p.id}: ${p.problem}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `lockstep dead-letters [list]`, `lockstep dead-letters replay` and `lockstep dead-letters discard`. */
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
      const { items, warnings } = await ctx
        .api(cmd)
        .get<DeadLetterList>('/v1/dead-letters', { ...query, kind: o.kind });
      for (const w of warnings ?? []) ctx.warn(w);
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
      let result: ReplayResult = {};
      for (const r of requests) {
        if (r.path === '/v1/dead-letters/replay')
          result.replayed = (await api.post<DeadLetterReplayReplyV1>(r.path, r.body)).replayed;
        else result = { ...result, ...(await api.post<DeadLetterRedriveReplyV1>(r.path, r.body)) };
      }
      ctx.print(cmd, result, () => formatReplayed(result));
    });
  dead
    .command('discard')
    .description(
      'drop one dead-lettered stream message or outbox dead letter for good (read it first with `lockstep dead-letters`); audited',
    )
    .option('--message <seq>', 'drop this dead-lettered stream message (its id in the list)')
    .option('--outbox <id>', 'drop this outbox dead letter')
    .action(async (_o: unknown, cmd: Command) => {
      const body = discardBody(ctx.options<{ message?: string; outbox?: string }>(cmd));
      const reply = await ctx.api(cmd).post<DeadLetterDiscardReplyV1>('/v1/dead-letters/discard', body);
      const { kind, id, subject } = reply.discarded;
      ctx.print(cmd, reply, () => `discarded ${kind} ${id} (${subject})\n`);
    });
}
