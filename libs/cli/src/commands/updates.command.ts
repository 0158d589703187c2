import type { Command } from 'commander';
import type { UpdatesReplyV1 } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { renderTable } from '../output';

/** `lockstep updates [--component C]`: every release newer than what runs, and what the policy decided and why. */
export function registerUpdates(program: Command, ctx: CliContext): void {
  program
    .command('updates')
    .description(
      'every release newer than what a component runs: its class, and what the policy decided and why (installing now, waits for the window starting at <time, zone>, waits for approval, too young until <time>, held, skipped)',
    )
    .option('--component <name>', 'only this component')
    .action(async (_o: unknown, cmd: Command) => {
      const { component } = ctx.options<{ component?: string }>(cmd);
      const path = component ? `/v1/updates?component=${encodeURIComponent(component)}` : '/v1/updates';
      const reply = await ctx.api(cmd).get<UpdatesReplyV1>(path);
      ctx.print(cmd, reply, () => formatUpdates(reply));
    });
}

/** The updates as a table; a warning first when automatic updates are off. */
export function formatUpdates(reply: UpdatesReplyV1): string {
  const off = reply.automatic
    ? ''
    : 'automatic updates are off (setting update.automatic): nothing installs without lockstep upgrade\n';
  return (
    off +
    renderTable(
      [
        { header: 'COMPONENT', value: (u) => u.component },
        { header: 'VERSION', value: (u) => u.version },
        { header: 'RUNNING', value: (u) => u.currentVersion ?? '-' },
        { header: 'CLASS', value: (u) => u.class },
        { header: 'DECISION', value: (u) => u.decision },
        { header: 'WHY', value: (u) => (u.rolloutId ? `${u.reason}; rollout ${u.rolloutId}` : u.reason) },
      ],
      reply.items,
      'no release newer than what runs',
    )
  );
}
