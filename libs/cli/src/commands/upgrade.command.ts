import type { Command } from 'commander';
import type { RolloutCreated } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { toJsonLine } from '../output';
import { waitForRollout } from './rollout-follow';
import {
  buildRolloutBody,
  parseCountOrPercent,
  parseDurationFlag,
  parsePositiveInt,
  parseSelector,
  type RolloutFlags,
} from './rollout-options';
import { formatRolloutCreated } from './rollout-plan';

/** Creating a rollout makes the checker fetch and verify the release first; give it time. */
export const ROLLOUT_CREATE_TIMEOUT_MS = 300_000;

/** Adds the strategy options shared by `upgrade` and `downgrade`. */
function strategyOptions(cmd: Command): Command {
  return cmd
    .option(
      '--nodes <selector>',
      'which nodes: all, labels (group=canary,zone=a) or node ids (node-1,node-2)',
      parseSelector,
    )
    .option('--max-parallel <n>', 'nodes updated at once (default 1)', (v) => parsePositiveInt('--max-parallel', v))
    .option(
      '--canary <n|p%>',
      'nodes updated and soaked first, a count or a percentage (default 0; group=canary nodes preferred)',
      (v) => parseCountOrPercent('--canary', v),
    )
    .option('--min-healthy <duration>', 'how long a node must stay healthy to count as updated (default 10s)', (v) =>
      parseDurationFlag('--min-healthy', v),
    )
    .option('--healthy-deadline <duration>', 'how long a node has to become healthy (default 5m)', (v) =>
      parseDurationFlag('--healthy-deadline', v),
    )
    .option(
      '--progress-deadline <duration>',
      'a node without an outcome this long is counted failed (default 10m)',
      (v) => parseDurationFlag('--progress-deadline', v),
    )
    .option('--max-failures <n|p%>', 'failed nodes tolerated, a count or a percentage (default 0)', (v) =>
      parseCountOrPercent('--max-failures', v),
    )
    .option(
      '--no-auto-rollback',
      'on failure, leave updated nodes on the new version (default: return them to their previous one)',
    )
    .option('--pause-between <duration>', 'wait between batches (default 0s)', (v) =>
      parseDurationFlag('--pause-between', v),
    )
    .option(
      '--canary-soak <duration>',
      'wait after the canary batch before the next batch starts (default: --pause-between)',
      (v) => parseDurationFlag('--canary-soak', v),
    )
    .option('--dry-run', 'print the plan (batches, order, lock, failure budget) and start nothing')
    .option(
      '--wait',
      'follow the rollout live, a progress bar per node; exit 0 when it succeeds, 1 when it fails, is aborted or rolled back',
    );
}

/** `lockstep upgrade` and `lockstep downgrade`: plan and start a rolling update of a component. */
export function registerRolloutStart(program: Command, ctx: CliContext): void {
  for (const direction of ['upgrade', 'downgrade'] as const) {
    strategyOptions(
      program
        .command(direction)
        .description(
          `${direction} a component across nodes, batch by batch, canaries first; the scheduler refuses nodes for which --to would not be ${direction === 'upgrade' ? 'an upgrade' : 'a downgrade'}`,
        )
        .requiredOption('--component <name>', `component to ${direction}`)
        .requiredOption('--to <version>', 'target version'),
    ).action(async (_o: unknown, cmd: Command) => {
      const o = ctx.options<RolloutFlags>(cmd);
      const body = buildRolloutBody(direction, o);
      const created = await ctx
        .api(cmd, ROLLOUT_CREATE_TIMEOUT_MS)
        .post<RolloutCreated>('/v1/rollouts', body, ROLLOUT_CREATE_TIMEOUT_MS);
      await printCreated(ctx, cmd, created, body.autoRollback, Boolean(o.wait));
    });
  }
}

/**
 * Prints a created rollout (or a dry run's plan); with --wait, follows it to the end. With
 * --json and --wait the output is JSON Lines: the creation answer, then each snapshot.
 */
export async function printCreated(
  ctx: CliContext,
  cmd: Command,
  created: RolloutCreated,
  autoRollback: boolean | undefined,
  wait: boolean,
): Promise<void> {
  if (!wait || !created.rolloutId) {
    ctx.print(cmd, created, () => formatRolloutCreated(created, autoRollback));
    return;
  }
  ctx.deps.io.stdout(
    ctx.options(cmd).json ? toJsonLine(created) : formatRolloutCreated(created, autoRollback, { followHint: false }),
  );
  await waitForRollout(ctx, cmd, created.rolloutId);
}
