import { Option, type Command } from 'commander';
import {
  RolloutStates,
  type ListOf,
  type RolloutActionResult,
  type RolloutDetail,
  type RolloutNodeView,
  type RolloutStrategyV1,
  type RolloutView,
} from '@lockstep/contracts';
import type { CliContext } from '../context';
import { formatTime, renderFields, renderTable, renderTableLines, truncate } from '../output';
import { parseLimit } from './deliveries.command';
import { waitForRollout } from './rollout-follow';
import { checkRolloutId } from './rollout-options';
import { leftOutField } from './rollout-plan';

interface ListOptions {
  component?: string;
  state?: string;
  limit?: number;
}

/** `lockstep rollouts [list]`, `rollouts show ID [--wait]`, `rollouts pause|resume|abort ID`. */
export function registerRollouts(program: Command, ctx: CliContext): void {
  const rollouts = program
    .command('rollouts')
    .description('rolling updates: list them, show one node by node, pause, resume or abort');
  rollouts
    .command('list', { isDefault: true })
    .description('rollouts, newest first')
    .option('--component <name>', 'only rollouts of this component')
    .addOption(new Option('--state <state>', 'only rollouts in this state').choices([...RolloutStates]))
    .option('--limit <n>', 'at most N rollouts (1-200)', parseLimit, 20)
    .action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<ListOptions>(cmd);
      const { items } = await ctx
        .api(cmd)
        .get<ListOf<RolloutView>>('/v1/rollouts', { component: o.component, state: o.state, limit: o.limit });
      ctx.print(cmd, items, () => formatRollouts(items));
    });

  rollouts
    .command('show <id>')
    .description('one rollout with every node: batch, canary, previous version, status, step, progress, error')
    .option('--wait', 'follow it live until it ends (exit 0 when it succeeds, 1 otherwise)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const rid = checkRolloutId(id);
      if (ctx.options<{ wait?: boolean }>(cmd).wait) {
        await waitForRollout(ctx, cmd, rid);
        return;
      }
      const r = await ctx.api(cmd).get<RolloutDetail>(`/v1/rollouts/${rid}`);
      ctx.print(cmd, r, () => formatRollout(r));
    });

  const actions = {
    pause: 'pause before the next batch (nodes installing now finish)',
    resume: 'resume a paused rollout',
    abort: 'stop for good: no further commands are sent; nodes keep what they run',
  } as const;
  for (const [action, description] of Object.entries(actions)) {
    rollouts
      .command(`${action} <id>`)
      .description(description)
      .action(async (id: string, _o: unknown, cmd: Command) => {
        const rid = checkRolloutId(id);
        const result = await ctx.api(cmd).post<RolloutActionResult>(`/v1/rollouts/${rid}/${action}`, {});
        ctx.print(cmd, result, () => `rollout ${result.rolloutId} is ${result.state}\n`);
      });
  }
}

/** `10s`, `5m`, `500ms`: a duration the way the flags take it. */
export function flagDuration(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The strategy as the flags that would produce it. */
export function describeStrategy(s: RolloutStrategyV1): string {
  return [
    `max-parallel ${s.maxParallel}`,
    `canary ${s.canary}`,
    ...(s.canary > 0 && s.canarySoakMs !== undefined ? [`canary-soak ${flagDuration(s.canarySoakMs)}`] : []),
    `min-healthy ${flagDuration(s.minHealthyMs)}`,
    `healthy-deadline ${flagDuration(s.healthyDeadlineMs)}`,
    `progress-deadline ${flagDuration(s.progressDeadlineMs)}`,
    `max-failures ${s.maxFailures}`,
    `auto-rollback ${s.autoRollback ? 'on' : 'off'}`,
    `pause-between ${flagDuration(s.pauseBetweenBatchesMs)}`,
  ].join(', ');
}

const countsText = (r: RolloutView): string => {
  const c = r.counts;
  return `${c.total} total: ${c.succeeded} succeeded, ${c.inProgress} in progress, ${c.pending} pending, ${c.failed} failed, ${c.rolledBack} rolled back`;
};

export function formatRollouts(items: RolloutView[]): string {
  return renderTable(
    [
      { header: 'ID', value: (r) => r.id },
      { header: 'KIND', value: (r) => r.kind },
      { header: 'COMPONENT', value: (r) => r.component },
      { header: 'VERSION', value: (r) => r.targetVersion },
      { header: 'STATE', value: (r) => r.state },
      {
        header: 'NODES',
        value: (r) => `${r.counts.succeeded}/${r.counts.total}${r.counts.failed ? ` (${r.counts.failed} failed)` : ''}`,
      },
      { header: 'CREATED', value: (r) => formatTime(r.createdAt) },
      { header: 'REASON', value: (r) => (r.reason ? truncate(r.reason, 80) : null) },
    ],
    items,
    'no rollouts; start one with `lockstep upgrade --component C --to V` (add --dry-run to see the plan first)',
  );
}

/** One rollout: its fields, then every node in batch order. */
export function formatRollout(r: RolloutDetail): string {
  const fields = renderFields([
    ['rollout', r.id],
    ['what', `${r.kind} ${r.component} to ${r.targetVersion} on ${r.selector}`],
    ['state', r.state],
    ['reason', r.reason],
    ['nodes', countsText(r)],
    ...leftOutField(r.skipped),
    ['strategy', describeStrategy(r.strategy)],
    ['lock token', `${r.lockToken}${r.conductor ? ` (conductor ${r.conductor})` : ''}`],
    ...(r.rollbackOf ? ([['rollback of', r.rollbackOf]] as Array<[string, string]>) : []),
    ['created', formatTime(r.createdAt)],
    ['finished', formatTime(r.finishedAt)],
  ]);
  if (r.nodes.length === 0) return `${fields}\nno nodes needed a command (all were already at ${r.targetVersion})\n`;
  const table = renderTableLines<RolloutNodeView>(
    [
      { header: 'BATCH', value: (n) => `${n.batch + 1}${n.canary ? ' canary' : ''}` },
      { header: 'NODE', value: (n) => n.nodeId },
      { header: 'FROM', value: (n) => n.fromVersion ?? '(none)' },
      { header: 'STATUS', value: (n) => n.status },
      { header: 'STEP', value: (n) => n.step },
      { header: 'PROGRESS', value: (n) => `${n.percent}%`, align: 'right' },
      { header: 'STARTED', value: (n) => formatTime(n.startedAt) },
      { header: 'ERROR', value: (n) => (n.error ? truncate(n.error, 120) : null) },
    ],
    r.nodes,
  );
  return `${fields}\n${table.join('\n')}\n`;
}
