import type { Command } from 'commander';
import type { RolloutCreatedView } from '../api-types';
import type { CliContext } from '../context';
import { checkRolloutId, parsePositiveInt } from './rollout-options';
import { printCreated, ROLLOUT_CREATE_TIMEOUT_MS } from './upgrade.command';

/** `lockstep rollback [ROLLOUT_ID]`: every node the rollout updated goes back to its previous version. */
export function registerRollback(program: Command, ctx: CliContext): void {
  program
    .command('rollback [rolloutId]')
    .description('return every node a rollout (default: the latest) updated to the version it ran before, as a new rollout')
    .option('--max-parallel <n>', 'nodes rolled back at once (default 1)', (v) => parsePositiveInt('--max-parallel', v))
    .option('--wait', 'follow the rollback live; exit 0 when it succeeds, 1 otherwise')
    .action(async (rolloutId: string | undefined, _o: unknown, cmd: Command) => {
      const o = ctx.options<{ maxParallel?: number; wait?: boolean }>(cmd);
      const body = { ...(rolloutId ? { rolloutId: checkRolloutId(rolloutId) } : {}), ...(o.maxParallel ? { maxParallel: o.maxParallel } : {}) };
      const created = await ctx.api(cmd, ROLLOUT_CREATE_TIMEOUT_MS).post<RolloutCreatedView>('/v1/rollbacks', body, ROLLOUT_CREATE_TIMEOUT_MS);
      await printCreated(ctx, cmd, created, undefined, Boolean(o.wait));
    });
}
