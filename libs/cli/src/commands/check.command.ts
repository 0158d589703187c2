import type { Command } from 'commander';
import type { CheckResults, CheckResultV1 } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { ExitCode } from '../errors';
import { renderTable } from '../output';
import { checkComponentName } from './release-options';

/** Checks can download and verify artifacts; give them time. */
const CHECK_TIMEOUT_MS = 300_000;

/** `lockstep check [COMPONENT]`: the checker looks for releases now; exit 1 when a check failed. */
export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check [component]')
    .description('check one component (or all) for new releases now; exits 1 when a check failed')
    .action(async (component: string | undefined, _o: unknown, cmd: Command) => {
      if (component !== undefined) checkComponentName(component);
      const { results } = await ctx
        .api(cmd, CHECK_TIMEOUT_MS)
        .post<CheckResults>('/v1/checks', component ? { component } : {}, CHECK_TIMEOUT_MS);
      ctx.print(cmd, results, () => formatCheckResults(results));
      if (results.some((r) => !r.ok)) ctx.exitCode = ExitCode.Failure;
    });
}

/** Results as a table: announced versions, or the failure code and reason. */
export function formatCheckResults(results: CheckResultV1[]): string {
  return renderTable(
    [
      { header: 'COMPONENT', value: (r) => r.component },
      { header: 'RESULT', value: (r) => (r.ok ? 'ok' : `failed (${r.error?.code ?? 'unknown'})`) },
      { header: 'ANNOUNCED', value: (r) => r.announced.join(', ') || 'nothing new' },
      { header: 'REASON', value: (r) => r.error?.reason },
    ],
    results,
    'no components to check; register one with `lockstep components add`',
  );
}
