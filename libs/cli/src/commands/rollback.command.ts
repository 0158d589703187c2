import type { Command } from 'commander';
import type { RolloutCreated } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { checkRolloutId, parsePositiveInt } from './rollout-options';
import { printCreated, ROLLOUT_CREATE_TIMEOUT_MS } from './upgrade.command';

/** `lockstep rollback [ROLLOUT_ID] [--restore-data]`: every node the rollout updated goes back to its previous version (and, asked, its pre-update data). */
export function registerRollback(program: Command, ctx: CliContext): void {
  program
    .command('rollback [rolloutId]')
    .description(
      'return every node a rollout (default: the latest) updated to the version it ran before, as a new rollout',
    )
    .option('--max-parallel <n>', 'nodes rolled back at once (default 1)', (v) => parsePositiveInt('--max-parallel', v))
    .option(
      '--restore-data',
      "also restore each node's pre-update backup from that rollout (files and databases) before swapping back",
    )
    .option('--wait', 'follow the rollback live; exit 0 when it succeeds, 1 otherwise')
    .action(async (rolloutId: string | undefined, _o: unknown, cmd: Command) => {
      const o = ctx.options<{ maxParallel?: number; wait?: boolean; restoreData?: boolean }>(cmd);
      const body = {
        ...(rolloutId ? { rolloutId: checkRolloutId(rolloutId) } : {}),
        ...(o.maxParallel ? { maxParallel: o.maxParallel } : {}),
        ...(o.restoreData ? { restoreData: true } : {}),
      };
      const created = await ctx
        .api(cmd, ROLLOUT_CREATE_TIMEOUT_MS)
        .post<RolloutCreated>('/v1/rollbacks', body, ROLLOUT_CREATE_TIMEOUT_MS);
      await printCreated(ctx, cmd, created, undefined, Boolean(o.wait));
    });
}
