import type { Command } from 'commander';
import type { ListOf, NodeView } from '@lockstep/contracts';
import type { CliContext } from '../context';
import { formatAgo, renderTable } from '../output';

/** `lockstep nodes`: the fleet as its agents report it. */
export function registerNodes(program: Command, ctx: CliContext): void {
  program
    .command('nodes')
    .description(
      'nodes whose agents registered: what they run, their labels, install state and last heartbeat (lost ones marked)',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.api(cmd).get<ListOf<NodeView>>('/v1/nodes');
      ctx.print(cmd, items, () => formatNodes(items, ctx.now()));
    });
}

const pairs = (record: Record<string, string>, sep: string): string =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}${sep}${v}`)
    .join(', ');

/** Nodes as a table; a lost node says so in its STATUS (it will not be counted healthy). */
export function formatNodes(items: NodeView[], now: number): string {
  return renderTable(
    [
      { header: 'NODE', value: (n) => n.id },
      { header: 'HOSTNAME', value: (n) => n.hostname },
      { header: 'STATUS', value: (n) => (n.lost ? 'LOST' : 'alive') },
      { header: 'STATE', value: (n) => n.state },
      { header: 'COMPONENTS', value: (n) => pairs(n.components, ' ') },
      { header: 'LABELS', value: (n) => pairs(n.labels, '=') },
      { header: 'AGENT', value: (n) => n.agentVersion },
      { header: 'SEEN', value: (n) => formatAgo(n.seenAt, now) },
    ],
    items,
    'no nodes have registered; start an agent (npm run start:installer) with the same NATS_URL and NATS_NAMESPACE',
  );
}
